import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { UnauthenticatedError } from '../../domain/access.errors';
import { ApiKeyRepository } from '../../domain/api-key.repository';
import { StreamToken } from '../../domain/stream-token.value-object';
import type { StreamTokenView } from '../views/stream-token.view';
import { IssueStreamTokenCommand } from './issue-stream-token.command';

/** Long enough to open a stream and ride out EventSource's reconnections; the stream itself outlives it. */
const STREAM_TOKEN_TTL_MS = 60_000;

@CommandHandler(IssueStreamTokenCommand)
export class IssueStreamTokenHandler implements ICommandHandler<IssueStreamTokenCommand> {
  constructor(private readonly keys: ApiKeyRepository) {}

  async execute({ principal }: IssueStreamTokenCommand): Promise<StreamTokenView> {
    if (principal.keyId === null) return { token: null, expires_at: null };
    const key = await this.keys.findById(principal.keyId);
    if (key === null || key.isRevoked) throw new UnauthenticatedError('revoked_key');
    const now = Date.now();
    const token = StreamToken.generate();
    const grant = token.grant(key.id, new Date(now + STREAM_TOKEN_TTL_MS));
    await this.keys.addStreamToken(grant, new Date(now));
    return { token: token.value, expires_at: grant.expiresAt.toISOString() };
  }
}
