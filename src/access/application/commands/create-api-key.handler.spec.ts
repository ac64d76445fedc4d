import { Logger } from '@nestjs/common';
import { InMemoryApiKeyRepository } from '../../../../test/fakes/in-memory-api-key.repository';
import { InvalidApiKeyRequestError } from '../../domain/access.errors';
import { ApiKeySecret } from '../../domain/api-key-secret.value-object';
import { CreateApiKeyCommand } from './create-api-key.command';
import { CreateApiKeyHandler } from './create-api-key.handler';

describe('CreateApiKeyHandler', () => {
  let keys: InMemoryApiKeyRepository;
  let log: jest.SpyInstance;

  beforeEach(() => {
    keys = new InMemoryApiKeyRepository();
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('stores a partner key by the hash of its secret, and shows the secret this once', async () => {
    const created = await new CreateApiKeyHandler(keys).execute(
      new CreateApiKeyCommand({ admin: false, partnerId: 'acme' }, 'acme production'),
    );

    const [stored] = await keys.list();
    expect(created).toEqual({
      id: stored.id,
      key: expect.stringMatching(/^ik_/),
      partner_id: 'acme',
      admin: false,
      name: 'acme production',
      created_at: stored.createdAt,
    });
    expect(stored.scope).toEqual({ admin: false, partnerId: 'acme' });
    expect(stored.secretHash).toBe(ApiKeySecret.parse(created.key)?.hash());
    expect(log).toHaveBeenCalledWith(`API key ${stored.id} created (partner acme, name "acme production")`);
  });

  it('stores an admin key, which names no partner', async () => {
    const created = await new CreateApiKeyHandler(keys).execute(new CreateApiKeyCommand({ admin: true }));

    const [stored] = await keys.list();
    expect(created).toMatchObject({ partner_id: null, admin: true, name: null });
    expect(stored.scope).toEqual({ admin: true, partnerId: null });
    expect(log).toHaveBeenCalledWith(`API key ${stored.id} created (admin)`);
  });

  it('refuses a partner id the ingestion would refuse, naming the option, and stores nothing', async () => {
    const create = new CreateApiKeyHandler(keys).execute(new CreateApiKeyCommand({ admin: false, partnerId: 'a/b' }));

    await expect(create).rejects.toThrow(
      new InvalidApiKeyRequestError(
        '--partner: partner_id must be 1-64 characters of A-Z a-z 0-9 . _ ~ - and start with a letter or digit.',
      ),
    );
    await expect(create).rejects.toBeInstanceOf(InvalidApiKeyRequestError);
    expect(await keys.list()).toEqual([]);
  });
});
