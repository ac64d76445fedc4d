import { InMemoryApiKeyRepository } from '../../../../test/fakes/in-memory-api-key.repository';
import { UnauthenticatedError } from '../../domain/access.errors';
import { ApiKey } from '../../domain/api-key.entity';
import { Principal } from '../../domain/principal.value-object';
import { StreamToken } from '../../domain/stream-token.value-object';
import { IssueStreamTokenCommand } from './issue-stream-token.command';
import { IssueStreamTokenHandler } from './issue-stream-token.handler';

const NOW = Date.parse('2026-12-02T10:00:00.000Z');

describe('IssueStreamTokenHandler', () => {
  let keys: InMemoryApiKeyRepository;

  beforeEach(() => {
    keys = new InMemoryApiKeyRepository();
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
  });

  afterEach(() => jest.restoreAllMocks());

  async function issueKey(): Promise<ApiKey> {
    const { key } = ApiKey.issue({ admin: false, partnerId: 'acme' }, null, new Date(NOW));
    await keys.add(key);
    return key;
  }

  it("issues a random token for the principal's key that expires in 60 seconds, and stores only its hash", async () => {
    const key = await issueKey();

    const view = await new IssueStreamTokenHandler(keys).execute(new IssueStreamTokenCommand(Principal.of(key)));

    expect(view.expires_at).toBe('2026-12-02T10:01:00.000Z');
    const token = StreamToken.parse(view.token as string)!;
    expect(token).not.toBeNull();
    expect([...keys.streamTokens.values()]).toEqual([
      { digest: token.digest(), keyId: key.id, expiresAt: new Date('2026-12-02T10:01:00.000Z') },
    ]);
    const again = await new IssueStreamTokenHandler(keys).execute(new IssueStreamTokenCommand(Principal.of(key)));
    expect(again.token).not.toBe(view.token);
  });

  it('drops the tokens that expired when it stores a new one', async () => {
    const key = await issueKey();
    const handler = new IssueStreamTokenHandler(keys);
    const first = await handler.execute(new IssueStreamTokenCommand(Principal.of(key)));

    jest.spyOn(Date, 'now').mockReturnValue(NOW + 60_000);
    await handler.execute(new IssueStreamTokenCommand(Principal.of(key)));
    expect(keys.streamTokens.size).toBe(2);
    jest.spyOn(Date, 'now').mockReturnValue(NOW + 60_001);
    await handler.execute(new IssueStreamTokenCommand(Principal.of(key)));
    expect(keys.streamTokens.size).toBe(2);
    expect(keys.streamTokens.has(StreamToken.parse(first.token as string)!.digest())).toBe(false);
  });

  it('answers no token while access control is off: the stream needs no credential', async () => {
    expect(await new IssueStreamTokenHandler(keys).execute(new IssueStreamTokenCommand(Principal.open()))).toEqual({
      token: null,
      expires_at: null,
    });
    expect(keys.idLookups).toBe(0);
  });

  it('refuses a key revoked, or deleted, since the request was authenticated', async () => {
    const key = await issueKey();
    const principal = Principal.of(key);
    const gone = Principal.of(ApiKey.issue({ admin: true, partnerId: null }, null, new Date(NOW)).key);
    await keys.revoke(key.id, new Date(NOW));

    for (const refused of [principal, gone]) {
      await expect(new IssueStreamTokenHandler(keys).execute(new IssueStreamTokenCommand(refused))).rejects.toEqual(
        new UnauthenticatedError('revoked_key'),
      );
    }
    expect(keys.streamTokens.size).toBe(0);
  });
});
