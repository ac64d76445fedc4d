import { PartnerAccessDeniedError } from './access.errors';
import type { ApiKey } from './api-key.entity';

/** The API key a request authenticated with; open access (no key ever created) reaches everything. */
export class Principal {
  private static readonly OPEN = new Principal(null, null, true);

  private constructor(
    /** null while access control is off. */
    readonly keyId: string | null,
    /** The one partner a partner key may reach; null for an admin key or open access. */
    readonly partnerId: string | null,
    readonly admin: boolean,
  ) {}

  static open(): Principal {
    return Principal.OPEN;
  }

  static of(key: ApiKey): Principal {
    return new Principal(key.id, key.scope.partnerId, key.scope.admin);
  }

  mayReach(partnerId: string): boolean {
    return this.admin || this.partnerId === partnerId;
  }

  assertMayReach(partnerIds: Iterable<string>): void {
    if (this.admin) return;
    for (const partnerId of partnerIds) {
      if (partnerId !== this.partnerId) {
        throw new PartnerAccessDeniedError(
          `This API key may not reach partner '${partnerId}'; it is scoped to '${this.partnerId}'.`,
        );
      }
    }
  }

  assertMayReachAll(): void {
    if (!this.admin) {
      throw new PartnerAccessDeniedError(
        `This API key is scoped to partner '${this.partnerId}'; read its records at /ingest/partner/${this.partnerId}.`,
      );
    }
  }
}
