import { Logger } from '@nestjs/common';
import { InMemoryApiKeyRepository } from '../../../test/fakes/in-memory-api-key.repository';
import { ApiKey } from '../domain/api-key.entity';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { OPEN_ACCESS_WARNING, OpenAccessWarning } from './open-access.warning';

describe('OpenAccessWarning', () => {
  let keys: InMemoryApiKeyRepository;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    keys = new InMemoryApiKeyRepository();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('warns at start that every route is open while no key exists, and says how to create one', async () => {
    await new OpenAccessWarning(new ApiKeyAuthenticator(keys)).onApplicationBootstrap();

    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(OPEN_ACCESS_WARNING);
    expect(OPEN_ACCESS_WARNING).toMatch(/^access control is off: .*open to anyone.*`npm run keys -- create`$/);
  });

  it('says nothing once a key exists', async () => {
    await keys.add(ApiKey.issue({ admin: true, partnerId: null }, null, new Date()).key);

    await new OpenAccessWarning(new ApiKeyAuthenticator(keys)).onApplicationBootstrap();

    expect(warn).not.toHaveBeenCalled();
  });
});
