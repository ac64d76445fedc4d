import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../domain/principal.value-object';
import type { StreamTokenView } from '../views/stream-token.view';

export class IssueStreamTokenCommand extends Command<StreamTokenView> {
  constructor(readonly principal: Principal) {
    super();
  }
}
