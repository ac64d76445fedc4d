import { Controller, Get, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { QueryBus } from '@nestjs/cqrs';
import { ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKeyAuthenticator } from '../../../access/application/api-key.authenticator';
import type { Principal } from '../../../access/domain/principal.value-object';
import { ApiKeyGuard } from '../../../access/infrastructure/http/api-key.guard';
import { RateLimitGuard } from '../../../access/infrastructure/http/rate-limit.guard';
import { CurrentPrincipal } from '../../../access/infrastructure/http/request-principal';
import type { Environment } from '../../../config/environment';
import { markIncomplete } from '../../../http/incomplete-response';
import { RequestValidationPipe } from '../../../http/request-validation.pipe';
import type { LiveFeedSubscription } from '../../application/ports/live-feed';
import { StreamDataQuery } from '../../application/queries/stream-data.query';
import { StreamDataQueryDto } from './dto/stream-data.query-dto';
import { EVENT_STREAM_CONTENT_TYPE, EventStream, StreamLagError } from './event-stream';
import { ApiStream } from './openapi/stream.openapi';

/** How long a stream the server ends may take to flush its last bytes to its client. */
const FLUSH_GRACE_MS = 1000;

@ApiTags('ingestion')
@Controller('ingest/stream')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class StreamController {
  private readonly heartbeatMs: number;

  constructor(
    private readonly queryBus: QueryBus,
    private readonly authenticator: ApiKeyAuthenticator,
    config: ConfigService<Environment, true>,
  ) {
    this.heartbeatMs = config.get('STREAM_HEARTBEAT_MS', { infer: true });
  }

  @Get()
  @ApiStream()
  async stream(
    @Query(RequestValidationPipe) query: StreamDataQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const includePayload = query.include === 'payload';
    const subscription: LiveFeedSubscription = await this.queryBus.execute(
      new StreamDataQuery(principal, { partnerId: query.partner_id, after: cursorOf(request, query), includePayload }),
    );
    // HEAD asks for the headers only; a client gone while the feed subscribed would never close its subscription.
    if (request.method === 'HEAD' || request.raw.socket.destroyed) {
      subscription.close();
      void streamHeaders(reply).send();
      return;
    }
    const body = new EventStream(subscription, {
      includePayload,
      heartbeatMs: this.heartbeatMs,
      stillAuthorized: principal.keyId === null ? undefined : () => this.authenticator.isStillValid(principal),
    });
    body.once('error', (error) => markIncomplete(reply, error instanceof StreamLagError ? 'stalled' : 'failed'));
    body.once('finishing', () => closeUnlessFlushed(reply));
    reply.raw.once('close', () => body.destroy());
    void streamHeaders(reply).send(body);
  }
}

function streamHeaders(reply: FastifyReply): FastifyReply {
  return (
    reply
      .header('content-type', EVENT_STREAM_CONTENT_TYPE)
      // Buffering proxies (nginx) would hold events back.
      .header('x-accel-buffering', 'no')
      // A stream the server ends (shutdown, lag) closes its connection: the client reconnects, through the gateway.
      .header('connection', 'close')
  );
}

/** A stream the server ends (shutdown, a revoked key): a stalled client would hold its connection, and a shutdown. */
function closeUnlessFlushed(reply: FastifyReply): void {
  const response = reply.raw;
  const cutOff = setTimeout(() => {
    markIncomplete(reply, 'stalled');
    response.destroy();
  }, FLUSH_GRACE_MS);
  cutOff.unref();
  response.once('close', () => clearTimeout(cutOff));
}

/** EventSource resends its URL with `Last-Event-ID` when it reconnects, so the header wins over `after`. */
function cursorOf(request: FastifyRequest, query: StreamDataQueryDto): { id: string; field: string } | undefined {
  const lastEventId = request.headers['last-event-id'];
  if (typeof lastEventId === 'string' && lastEventId !== '') return { id: lastEventId, field: 'Last-Event-ID' };
  return query.after === undefined ? undefined : { id: query.after, field: 'after' };
}
