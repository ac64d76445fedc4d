import { InMemoryApiKeyRepository } from '../../../../test/fakes/in-memory-api-key.repository';
import { ApiKey } from '../../domain/api-key.entity';
import { ListApiKeysHandler } from './list-api-keys.handler';

describe('ListApiKeysHandler', () => {
  it('lists every key in storage order, revoked ones included, never with a secret', async () => {
    const keys = new InMemoryApiKeyRepository();
    const partner = ApiKey.issue({ admin: false, partnerId: 'acme' }, 'ci', new Date('2026-12-01T10:00:00.000Z')).key;
    const admin = ApiKey.issue({ admin: true, partnerId: null }, null, new Date('2026-12-01T11:00:00.000Z')).key;
    await keys.add(partner);
    await keys.add(admin);
    await keys.revoke(admin.id, new Date('2026-12-01T12:00:00.000Z'));

    expect(await new ListApiKeysHandler(keys).execute()).toEqual([
      {
        id: partner.id,
        partner_id: 'acme',
        admin: false,
        name: 'ci',
        created_at: '2026-12-01T10:00:00.000Z',
        revoked_at: null,
        last_used_at: null,
      },
      {
        id: admin.id,
        partner_id: null,
        admin: true,
        name: null,
        created_at: '2026-12-01T11:00:00.000Z',
        revoked_at: '2026-12-01T12:00:00.000Z',
        last_used_at: null,
      },
    ]);
  });
});
