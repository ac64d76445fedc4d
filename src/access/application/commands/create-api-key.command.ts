import { Command } from '@nestjs/cqrs';
import type { CreatedApiKeyView } from '../views/api-key.view';

/** A partner key (`partnerId`) or an admin key (`admin`); exactly one of the two. */
export class CreateApiKeyCommand extends Command<CreatedApiKeyView> {
  constructor(
    readonly scope: { admin: true } | { admin: false; partnerId: unknown },
    readonly name: string | null = null,
  ) {
    super();
  }
}
