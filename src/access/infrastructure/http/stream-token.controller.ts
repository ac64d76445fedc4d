import { Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAccess, rateLimitHeaders } from '../../../openapi/api-responses';
import { IssueStreamTokenCommand } from '../../application/commands/issue-stream-token.command';
import type { StreamTokenView } from '../../application/views/stream-token.view';
import type { Principal } from '../../domain/principal.value-object';
import { ApiKeyGuard } from './api-key.guard';
import { RateLimitGuard } from './rate-limit.guard';
import { CurrentPrincipal } from './request-principal';

@ApiTags('ingestion')
@Controller('ingest/stream/token')
@UseGuards(ApiKeyGuard, RateLimitGuard)
export class StreamTokenController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'A short-lived token for the live feed',
    description:
      "For clients that cannot send `Authorization` (a browser's EventSource): `GET /ingest/stream?access_token=<token>` " +
      "with the scope of the API key that asked, for 60 s from now; the stream it opens outlives it. A revoked key's " +
      'tokens are refused. The token is random, and the service keeps only its SHA-256. Both fields are null while ' +
      'access control is off (no API key was ever created).',
  })
  @ApiOkResponse({
    description: 'The token and when it expires.',
    headers: rateLimitHeaders(),
    schema: {
      type: 'object',
      required: ['token', 'expires_at'],
      properties: {
        token: { type: 'string', nullable: true, example: 'st_q0Vd2bZ8mP1xYc7TnR4uJw6eKs9LhA3fGi5oWzB-E_M' },
        expires_at: { type: 'string', format: 'date-time', nullable: true, example: '2026-11-29T10:32:05.123Z' },
      },
    },
  })
  @ApiKeyAccess()
  issue(@CurrentPrincipal() principal: Principal): Promise<StreamTokenView> {
    return this.commandBus.execute(new IssueStreamTokenCommand(principal));
  }
}
