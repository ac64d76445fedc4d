import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { Principal } from '../../../access/domain/principal.value-object';
import { ApiKeyGuard } from '../../../access/infrastructure/http/api-key.guard';
import { RateLimitGuard } from '../../../access/infrastructure/http/rate-limit.guard';
import { CurrentPrincipal } from '../../../access/infrastructure/http/request-principal';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { IngestDataBatchCommand } from '../../application/commands/ingest-data-batch.command';
import { IngestDataCommand } from '../../application/commands/ingest-data.command';
import type { DataListFilter } from '../../application/ports/record.read-model';
import { GetAllDataQuery } from '../../application/queries/get-all-data.query';
import { GetDataByIdQuery } from '../../application/queries/get-data-by-id.query';
import { GetDataByPartnerIdQuery } from '../../application/queries/get-data-by-partner-id.query';
import type { DataListView } from '../../application/views/data-list.view';
import type { BatchReceiptView } from '../../application/views/batch-receipt.view';
import type { DataReceiptView } from '../../application/views/data-receipt.view';
import type { IngestionResult } from '../../application/views/ingestion.result';
import type { Environment } from '../../../config/environment';
import { publicPath } from '../../../http/forwarded-prefix';
import { markIncomplete } from '../../../http/incomplete-response';
import { IngestDataBatchDto } from './dto/ingest-data-batch.dto';
import {
  DataListStream,
  JSON_CONTENT_TYPE,
  NDJSON_CONTENT_TYPE,
  negotiateListFormat,
  recordJson,
} from './record-json.serializer';
import { IngestDataDto } from './dto/ingest-data.dto';
import { rawJsonBody } from '../../../http/json-body.parser';
import { batchPayloads, objectMembers } from './json-source';
import { ListDataQueryDto } from './dto/list-data.query-dto';
import { ApiGetById, ApiIngestBatch, ApiIngestOne, ApiListAll, ApiListByPartner } from './openapi/ingest.openapi';
import { RequestValidationPipe } from '../../../http/request-validation.pipe';

@ApiTags('ingestion')
@Controller('ingest')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class IngestController {
  private readonly maxBatchRecords: number;
  private readonly exportStallTimeoutMs: number;

  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
    config: ConfigService<Environment, true>,
  ) {
    this.maxBatchRecords = config.get('MAX_BATCH_RECORDS', { infer: true });
    this.exportStallTimeoutMs = config.get('EXPORT_STALL_TIMEOUT_MS', { infer: true });
  }

  @Post()
  @HttpCode(201)
  @ApiIngestOne()
  async ingest(
    @Body(RequestValidationPipe) body: IngestDataDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<DataReceiptView> {
    const payload = objectMembers(rawJsonBody(request)).get('payload') ?? body.payload;
    const result = await this.commandBus.execute(
      new IngestDataCommand(principal, body.partner_id, payload, header(request, 'idempotency-key')),
    );
    void reply.header('location', publicPath(request, `/ingest/${result.view.id}`));
    return answer(result, reply);
  }

  @Post('batch')
  @HttpCode(201)
  @ApiIngestBatch()
  async ingestBatch(
    @Body(RequestValidationPipe) body: IngestDataBatchDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<BatchReceiptView> {
    // A batch the factory refuses for its size is not scanned: refusing it costs the same whatever it holds.
    const payloads = body.records.length <= this.maxBatchRecords ? batchPayloads(rawJsonBody(request)) : [];
    const result = await this.commandBus.execute(
      new IngestDataBatchCommand(principal, body.records, payloads, header(request, 'idempotency-key')),
    );
    return answer(result, reply);
  }

  @Get('all')
  @ApiListAll()
  async listAll(
    @Query(RequestValidationPipe) query: ListDataQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const view = await this.queryBus.execute(new GetAllDataQuery(principal, listFilter(query)));
    sendList(view, query, request, reply, this.exportStallTimeoutMs);
  }

  @Get('partner/:partner_id')
  @ApiListByPartner()
  async listByPartner(
    @Param('partner_id') partnerId: string,
    @Query(RequestValidationPipe) query: ListDataQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const view = await this.queryBus.execute(
      new GetDataByPartnerIdQuery(principal, { ...listFilter(query), partnerId }),
    );
    sendList(view, query, request, reply, this.exportStallTimeoutMs);
  }

  @Get(':id')
  @ApiGetById()
  async getById(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const view = await this.queryBus.execute(new GetDataByIdQuery(principal, id));
    void reply.header('content-type', JSON_CONTENT_TYPE).send(recordJson(view));
  }
}

/**
 * A request header as `@Headers(name)` gives it. Headers are read here rather than through
 * `@Headers`, which the OpenAPI scanner would list as required parameters under their
 * lower-case names (the decorators in openapi/ document them).
 */
function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** A replayed answer says so (`Idempotent-Replayed: true`); its status and body are the stored ones. */
function answer<View>(result: IngestionResult<View>, reply: FastifyReply): View {
  if (result.replayed) void reply.header('idempotent-replayed', 'true');
  return result.view;
}

function listFilter(query: ListDataQueryDto): DataListFilter {
  return {
    limit: query.limit === undefined ? undefined : Number(query.limit),
    after: query.after,
    since: query.since,
    until: query.until,
    includePayload: query.include === 'payload',
  };
}

function sendList(
  view: DataListView,
  query: ListDataQueryDto,
  request: FastifyRequest,
  reply: FastifyReply,
  stallTimeoutMs: number,
): void {
  const format = negotiateListFormat(header(request, 'accept'));
  if (view.nextAfter !== undefined) {
    void reply.header('link', `<${nextPageUrl(request, query, view.nextAfter)}>; rel="next"`);
  }
  const body = new DataListStream(view, format, stallTimeoutMs);
  // Past the first byte a failure can only cut the response; Fastify then destroys the socket.
  body.once('error', () => markIncomplete(reply, body.stalled ? 'stalled' : 'failed'));
  void reply.header('content-type', format === 'ndjson' ? NDJSON_CONTENT_TYPE : JSON_CONTENT_TYPE).send(body);
}

/** Same path and filters, the cursor moved to the last id of this page (RFC 8288 `next`). */
function nextPageUrl(request: FastifyRequest, query: ListDataQueryDto, after: string): string {
  const path = request.url.split('?', 1)[0];
  const parameters: Array<[string, string | undefined]> = [
    ['limit', query.limit],
    ['since', query.since],
    ['until', query.until],
    ['include', query.include],
    ['after', after],
  ];
  const search = parameters
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
    .join('&');
  return `${publicPath(request, path)}?${search}`;
}
