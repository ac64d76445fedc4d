import { ApiKey } from '../../src/access/domain/api-key.entity';
import { Principal } from '../../src/access/domain/principal.value-object';

const ISSUED_AT = new Date('2026-12-01T10:00:00.000Z');

export const PrincipalMother = {
  partner(partnerId: string): Principal {
    return Principal.of(ApiKey.issue({ admin: false, partnerId }, null, ISSUED_AT).key);
  },
  admin(): Principal {
    return Principal.of(ApiKey.issue({ admin: true, partnerId: null }, null, ISSUED_AT).key);
  },
};
