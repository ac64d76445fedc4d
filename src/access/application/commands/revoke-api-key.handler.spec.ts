import { Logger } from '@nestjs/common';
import { InMemoryApiKeyRepository } from '../../../../test/fakes/in-memory-api-key.repository';
import { ApiKeyNotFoundError } from '../../domain/access.errors';
import { ApiKey } from '../../domain/api-key.entity';
import { RevokeApiKeyCommand } from './revoke-api-key.command';
import { RevokeApiKeyHandler } from './revoke-api-key.handler';

const CREATED_AT = new Date('2026-12-01T10:00:00.000Z');

describe('RevokeApiKeyHandler', () => {
  let keys: InMemoryApiKeyRepository;
  let log: jest.SpyInstance;

  beforeEach(() => {
    keys = new InMemoryApiKeyRepository();
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('revokes the key and answers it as listed, without its secret', async () => {
    const { key } = ApiKey.issue({ admin: false, partnerId: 'acme' }, 'ci', CREATED_AT);
    await keys.add(key);
    const before = Date.now();

    const view = await new RevokeApiKeyHandler(keys).execute(new RevokeApiKeyCommand(key.id));

    expect(view).toEqual({
      id: key.id,
      partner_id: 'acme',
      admin: false,
      name: 'ci',
      created_at: '2026-12-01T10:00:00.000Z',
      revoked_at: expect.any(String),
      last_used_at: null,
    });
    expect(Date.parse(view.revoked_at as string)).toBeGreaterThanOrEqual(before);
    expect((await keys.findById(key.id))?.isRevoked).toBe(true);
    expect(log).toHaveBeenCalledWith(`API key ${key.id} revoked (partner acme)`);
  });

  it('names an admin key as such in its log line', async () => {
    const { key } = ApiKey.issue({ admin: true, partnerId: null }, null, CREATED_AT);
    await keys.add(key);

    await new RevokeApiKeyHandler(keys).execute(new RevokeApiKeyCommand(key.id));

    expect(log).toHaveBeenCalledWith(`API key ${key.id} revoked (admin)`);
  });

  it('refuses an unknown id, quoting it', async () => {
    await expect(
      new RevokeApiKeyHandler(keys).execute(new RevokeApiKeyCommand('019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69')),
    ).rejects.toThrow(new ApiKeyNotFoundError('019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69'));
    expect(log).not.toHaveBeenCalled();
  });
});
