import { createHash } from 'node:crypto';
import { IngestedDataMother } from '../../../test/mothers/ingested-data.mother';
import { freezeClockAt } from '../../../test/support/timing';
import { IdempotencyKey } from './idempotency-key.value-object';
import { IdempotencyPolicy, IngestOperation } from './idempotency.policy';
import { IngestedData } from './ingested-data.aggregate';
import { IngestedDataFactory } from './ingested-data.factory';
import { JsonText } from './json-text';
import { JsonObject } from './payload.value-object';
import { Timestamp } from './timestamp.value-object';

const CREATED_AT = Timestamp.parse('2026-11-29T10:31:05.123Z');

describe('IdempotencyPolicy', () => {
  it.each([
    [24, '2026-11-30T10:31:05.123Z'],
    [1, '2026-11-29T11:31:05.123Z'],
    [168, '2026-12-06T10:31:05.123Z'],
    [0.5, '2026-11-29T11:01:05.123Z'],
    [0.25, '2026-11-29T10:46:05.123Z'],
    [1 / 3600, '2026-11-29T10:31:06.123Z'],
    [0.0001, '2026-11-29T10:31:05.483Z'],
  ])('keeps a key %p hours after it was created', (ttlHours, expected) => {
    expect(new IdempotencyPolicy(ttlHours).expiresAt(CREATED_AT).value).toBe(expected);
  });

  it('counts from the creation time it is given, not from now', () => {
    const policy = new IdempotencyPolicy(24);

    expect(policy.expiresAt(Timestamp.parse('2020-02-28T12:00:00.000Z')).value).toBe('2020-02-29T12:00:00.000Z');
    expect(policy.expiresAt(Timestamp.parse('2026-12-31T23:30:00.000Z')).value).toBe('2027-01-01T23:30:00.000Z');
  });

  it('answers a Timestamp and leaves the creation time as it was', () => {
    const createdAt = Timestamp.parse('2026-11-29T10:31:05.123Z');

    const expiresAt = new IdempotencyPolicy(2).expiresAt(createdAt);

    expect(expiresAt).toBeInstanceOf(Timestamp);
    expect(createdAt.value).toBe('2026-11-29T10:31:05.123Z');
    expect(Date.parse(expiresAt.value) - Date.parse(createdAt.value)).toBe(2 * 3_600_000);
  });
});

describe('IdempotencyPolicy.claim', () => {
  const KEY = IdempotencyKey.create('retry-7f3a');
  const HOUR_MS = 3_600_000;

  const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

  /** New records, as the factory builds them on each request (a retry gets fresh ids). */
  const recordsOf = (...specs: Array<{ partnerId: string; payload: JsonObject }>): IngestedData[] =>
    specs.map((spec) => IngestedDataMother.ingested(spec));

  const claimOf = (operation: IngestOperation, records: IngestedData[], apiKeyId: string | null = null) =>
    new IdempotencyPolicy(24).claim(operation, KEY, apiKeyId, records, { records: records.length });

  /** A record built from the payload text as the partner wrote it. */
  const written = (payloadText: string): IngestedData =>
    new IngestedDataFactory().create({ partnerId: 'acme', payload: JsonText.scan(payloadText) });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('holds the key, and the response as a 201 with the JSON text of the view', () => {
    const view = { id: 'x', partner_id: 'acme', note: 'é ✓' };

    const claim = new IdempotencyPolicy(24).claim(
      'ingest',
      KEY,
      null,
      recordsOf({ partnerId: 'acme', payload: {} }),
      view,
    );

    expect(claim.key).toBe(KEY);
    expect(claim.response).toEqual({ status: 201, body: JSON.stringify(view) });
  });

  describe('scope', () => {
    it('is the sha256 of the sorted, distinct partner ids joined by newlines, under open access', () => {
      const claim = claimOf(
        'ingest-batch',
        recordsOf(
          { partnerId: 'globex', payload: {} },
          { partnerId: 'acme', payload: {} },
          { partnerId: 'globex', payload: {} },
        ),
      );

      expect(claim.scope).toBe(sha256('acme\nglobex'));
    });

    it('is the same for the same set of partners in any order and any number', () => {
      const one = claimOf(
        'ingest-batch',
        recordsOf({ partnerId: 'acme', payload: { n: 0 } }, { partnerId: 'globex', payload: { n: 1 } }),
      );
      const other = claimOf(
        'ingest-batch',
        recordsOf(
          { partnerId: 'globex', payload: { n: 5 } },
          { partnerId: 'globex', payload: { n: 6 } },
          { partnerId: 'acme', payload: { n: 7 } },
        ),
      );

      expect(other.scope).toBe(one.scope);
    });

    it('differs for a different set of partners', () => {
      const both = claimOf(
        'ingest-batch',
        recordsOf({ partnerId: 'acme', payload: {} }, { partnerId: 'globex', payload: {} }),
      );
      const acmeOnly = claimOf(
        'ingest-batch',
        recordsOf({ partnerId: 'acme', payload: {} }, { partnerId: 'acme', payload: {} }),
      );
      const three = claimOf(
        'ingest-batch',
        recordsOf(
          { partnerId: 'acme', payload: {} },
          { partnerId: 'globex', payload: {} },
          { partnerId: 'initech', payload: {} },
        ),
      );

      expect(new Set([both.scope, acmeOnly.scope, three.scope]).size).toBe(3);
      expect(acmeOnly.scope).toBe(sha256('acme'));
    });

    it('names the API key before the partners: two API keys of the same partners get two scopes', () => {
      const records = recordsOf({ partnerId: 'globex', payload: {} }, { partnerId: 'acme', payload: {} });

      const first = claimOf('ingest-batch', records, 'key-1');
      const second = claimOf('ingest-batch', records, 'key-2');

      expect(first.scope).toBe(sha256('api-key key-1\nacme\nglobex'));
      expect(second.scope).toBe(sha256('api-key key-2\nacme\nglobex'));
      expect(claimOf('ingest-batch', records).scope).toBe(sha256('acme\nglobex'));
    });

    it('leaves the fingerprint to the request alone: the API key changes the scope only', () => {
      const records = recordsOf({ partnerId: 'acme', payload: { a: 1 } });

      expect(claimOf('ingest', records, 'key-1').fingerprint).toBe(claimOf('ingest', records).fingerprint);
    });
  });

  describe('fingerprint', () => {
    it('is the sha256 of the operation, then of each record its partner and its compacted payload, in order', () => {
      const claim = claimOf(
        'ingest-batch',
        recordsOf({ partnerId: 'acme', payload: { a: 1 } }, { partnerId: 'globex', payload: { b: [true, null] } }),
      );

      expect(claim.fingerprint).toBe(sha256('ingest-batch\nacme\n{"a":1}\nglobex\n{"b":[true,null]}'));
    });

    it('is the same for a retry of the same request, whatever ids and times its records got', () => {
      const first = claimOf('ingest', recordsOf({ partnerId: 'acme', payload: { a: 1, b: [true] } }));
      const retry = claimOf('ingest', [
        IngestedDataMother.ingested({
          partnerId: 'acme',
          payload: { a: 1, b: [true] },
          timestamp: '2030-01-01T00:00:00.000Z',
        }),
      ]);

      expect(retry.fingerprint).toBe(first.fingerprint);
    });

    it("differs between the operations 'ingest' and 'ingest-batch' for the same record", () => {
      const single = claimOf('ingest', recordsOf({ partnerId: 'acme', payload: { a: 1 } }));
      const batch = claimOf('ingest-batch', recordsOf({ partnerId: 'acme', payload: { a: 1 } }));

      expect(batch.scope).toBe(single.scope);
      expect(batch.fingerprint).not.toBe(single.fingerprint);
    });

    it('differs when only the key order of a payload differs', () => {
      const ab = claimOf('ingest', recordsOf({ partnerId: 'acme', payload: { a: 1, b: 2 } }));
      const ba = claimOf('ingest', recordsOf({ partnerId: 'acme', payload: { b: 2, a: 1 } }));

      expect(ba.fingerprint).not.toBe(ab.fingerprint);
    });

    it('follows the payload text as the partner wrote it: integer-like keys keep their order', () => {
      const letterFirst = claimOf('ingest', [written('{"b":1,"2":2}')]);
      const digitFirst = claimOf('ingest', [written('{"2":2,"b":1}')]);

      expect(digitFirst.fingerprint).not.toBe(letterFirst.fingerprint);
    });

    it('ignores the whitespace between JSON tokens, not the whitespace inside strings', () => {
      const compact = claimOf('ingest', [written('{"b":1,"2":[2,"x y"]}')]);
      const spaced = claimOf('ingest', [written('{ "b" : 1 ,\n\t"2" :\r\n [ 2 , "x y" ] }')]);
      const otherString = claimOf('ingest', [written('{"b":1,"2":[2,"x  y"]}')]);

      expect(spaced.fingerprint).toBe(compact.fingerprint);
      expect(otherString.fingerprint).not.toBe(compact.fingerprint);
    });

    it('differs when a value of a payload differs', () => {
      const one = claimOf('ingest', recordsOf({ partnerId: 'acme', payload: { a: 1 } }));
      const two = claimOf('ingest', recordsOf({ partnerId: 'acme', payload: { a: '1' } }));

      expect(two.fingerprint).not.toBe(one.fingerprint);
    });

    it('differs when the records of a batch come in another order', () => {
      const inOrder = claimOf(
        'ingest-batch',
        recordsOf({ partnerId: 'acme', payload: { n: 0 } }, { partnerId: 'acme', payload: { n: 1 } }),
      );
      const swapped = claimOf(
        'ingest-batch',
        recordsOf({ partnerId: 'acme', payload: { n: 1 } }, { partnerId: 'acme', payload: { n: 0 } }),
      );

      expect(swapped.fingerprint).not.toBe(inOrder.fingerprint);
    });

    it('differs when the same payloads, in the same order, go to other partners within the same scope', () => {
      const one = claimOf(
        'ingest-batch',
        recordsOf({ partnerId: 'acme', payload: { a: 1 } }, { partnerId: 'globex', payload: { b: 1 } }),
      );
      const other = claimOf(
        'ingest-batch',
        recordsOf({ partnerId: 'globex', payload: { a: 1 } }, { partnerId: 'acme', payload: { b: 1 } }),
      );

      expect(other.scope).toBe(one.scope);
      expect(other.fingerprint).not.toBe(one.fingerprint);
    });
  });

  describe('expiry', () => {
    it('is created now and expires after the TTL of the policy', () => {
      freezeClockAt('2026-11-29T12:00:00.000Z');
      const records = recordsOf({ partnerId: 'acme', payload: {} });

      const day = new IdempotencyPolicy(24).claim('ingest', KEY, null, records, {});
      const halfHour = new IdempotencyPolicy(0.5).claim('ingest', KEY, null, records, {});

      expect(day.createdAt.value).toBe('2026-11-29T12:00:00.000Z');
      expect(day.expiresAt.value).toBe('2026-11-30T12:00:00.000Z');
      expect(halfHour.createdAt.value).toBe('2026-11-29T12:00:00.000Z');
      expect(halfHour.expiresAt.value).toBe('2026-11-29T12:30:00.000Z');
    });

    it('is created at the time of the claim, not at the time of the policy', () => {
      freezeClockAt('2026-11-29T12:00:00.000Z');
      const policy = new IdempotencyPolicy(1);
      jest.setSystemTime(new Date('2026-11-29T15:00:00.000Z'));

      const claim = policy.claim('ingest', KEY, null, recordsOf({ partnerId: 'acme', payload: {} }), {});

      expect(claim.createdAt.value).toBe('2026-11-29T15:00:00.000Z');
      expect(Date.parse(claim.expiresAt.value) - Date.parse(claim.createdAt.value)).toBe(HOUR_MS);
    });
  });
});
