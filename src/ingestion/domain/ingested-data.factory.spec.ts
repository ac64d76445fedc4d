import { PayloadMother } from '../../../test/mothers/payload.mother';
import { DataIngested } from './data-ingested.event';
import { IngestedData } from './ingested-data.aggregate';
import { IngestedDataFactory } from './ingested-data.factory';
import {
  IngestionError,
  InvalidBatchError,
  InvalidPartnerIdError,
  InvalidPayloadError,
  PayloadTooLargeError,
} from './ingestion.errors';
import { JsonText } from './json-text';
import { DEFAULT_PAYLOAD_LIMITS, PayloadLimits } from './payload.value-object';

const RECEIVED_AT = new Date('2026-11-29T10:31:05.123Z');
const fixedClock = (): Date => RECEIVED_AT;

describe('IngestedDataFactory', () => {
  it('builds a valid aggregate from raw input', () => {
    const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);
    const payload = PayloadMother.reading();

    const data = factory.create({ partnerId: 'acme', payload });

    expect(data).toBeInstanceOf(IngestedData);
    expect(data.id.value).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(data.partnerId.value).toBe('acme');
    expect(data.payload.value).toEqual(payload);
    expect(data.payload.json).toBe(JSON.stringify(payload));
    expect(data.timestamp.value).toBe('2026-11-29T10:31:05.123Z');
  });

  it('builds the payload from its text when given a JsonText, keeping the key order the partner wrote', () => {
    const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

    const data = factory.create({ partnerId: 'acme', payload: JsonText.scan('{"b": 1, "2": [ "x y" ]}') });

    expect(data.payload.json).toBe('{"b":1,"2":["x y"]}');
  });

  it('builds a new record: it raises DataIngested with its id, partner and timestamp', () => {
    const data = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock).create({ partnerId: 'acme', payload: {} });

    expect(data.getUncommittedEvents()).toEqual([new DataIngested(data.id.value, 'acme', '2026-11-29T10:31:05.123Z')]);
  });

  it('stamps each record with the time its clock tells', () => {
    const times = [new Date('2026-01-01T00:00:00.000Z'), new Date('2026-06-30T23:59:59.999Z')];
    const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, () => times.shift()!);

    const first = factory.create({ partnerId: 'acme', payload: {} });
    const second = factory.create({ partnerId: 'acme', payload: {} });

    expect(first.timestamp.value).toBe('2026-01-01T00:00:00.000Z');
    expect(second.timestamp.value).toBe('2026-06-30T23:59:59.999Z');
  });

  it('gives every record a fresh id, in ingestion order', () => {
    const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

    const first = factory.create({ partnerId: 'acme', payload: {} });
    const second = factory.create({ partnerId: 'acme', payload: {} });

    expect(second.id.value > first.id.value).toBe(true);
  });

  it('applies the payload limits it was given', () => {
    const strict: PayloadLimits = { maxBytes: 20, maxDepth: 2 };
    const factory = new IngestedDataFactory(strict, fixedClock);
    const lenient = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);
    const twentyOneBytes = PayloadMother.ofSerializedBytes(21);
    const threeLevels = PayloadMother.nestedObjects(3);

    expect(() => factory.create({ partnerId: 'acme', payload: PayloadMother.ofSerializedBytes(20) })).not.toThrow();
    expect(() => factory.create({ partnerId: 'acme', payload: twentyOneBytes })).toThrow(PayloadTooLargeError);
    expect(() => factory.create({ partnerId: 'acme', payload: threeLevels })).toThrow(InvalidPayloadError);
    expect(() => lenient.create({ partnerId: 'acme', payload: twentyOneBytes })).not.toThrow();
    expect(() => lenient.create({ partnerId: 'acme', payload: threeLevels })).not.toThrow();
  });

  it('uses the contract limits by default', () => {
    const factory = new IngestedDataFactory();

    expect(() =>
      factory.create({ partnerId: 'acme', payload: PayloadMother.ofSerializedBytes(262_144) }),
    ).not.toThrow();
    expect(() => factory.create({ partnerId: 'acme', payload: PayloadMother.ofSerializedBytes(262_145) })).toThrow(
      PayloadTooLargeError,
    );
    expect(() => factory.create({ partnerId: 'acme', payload: PayloadMother.nestedObjects(33) })).toThrow(
      InvalidPayloadError,
    );
  });

  it.each([
    ['an invalid partner id', { partnerId: 'a/b', payload: {} }, InvalidPartnerIdError, 'partner_id'],
    ['a missing partner id', { partnerId: undefined, payload: {} }, InvalidPartnerIdError, 'partner_id'],
    ['a non-object payload', { partnerId: 'acme', payload: [1, 2] }, InvalidPayloadError, 'payload'],
    [
      'a too deep payload',
      { partnerId: 'acme', payload: PayloadMother.nestedObjects(3) },
      InvalidPayloadError,
      'payload',
    ],
    [
      'a too large payload',
      { partnerId: 'acme', payload: PayloadMother.ofSerializedBytes(21) },
      PayloadTooLargeError,
      'payload',
    ],
  ])('names the field of %s, with and without a prefix', (_case, input, errorType, field) => {
    const factory = new IngestedDataFactory({ maxBytes: 20, maxDepth: 2 }, fixedClock);

    expect(() => factory.create(input)).toThrow(errorType);
    expect(() => factory.create(input)).toThrow(expect.objectContaining({ field }));
    expect(() => factory.create(input, 'records[3].')).toThrow(
      expect.objectContaining({ field: `records[3].${field}` }),
    );
  });

  describe('createBatch', () => {
    const strict = { maxBytes: 20, maxDepth: 2, maxBatchRecords: 3 };

    it('builds every record, in request order, each raising its DataIngested', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

      const records = factory.createBatch([
        { partner_id: 'acme', payload: { n: 0 } },
        { partner_id: 'globex', payload: { n: 1 } },
        { partner_id: 'acme', payload: { n: 2 } },
      ]);

      expect(records).toHaveLength(3);
      expect(records.map((record) => record.partnerId.value)).toEqual(['acme', 'globex', 'acme']);
      expect(records.map((record) => record.payload.json)).toEqual(['{"n":0}', '{"n":1}', '{"n":2}']);
      for (const record of records) {
        expect(record).toBeInstanceOf(IngestedData);
        expect(record.getUncommittedEvents()).toEqual([
          new DataIngested(record.id.value, record.partnerId.value, '2026-11-29T10:31:05.123Z'),
        ]);
      }
    });

    it('gives every record a fresh id, ascending in request order', () => {
      const records = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock).createBatch(
        Array.from({ length: 5 }, () => ({ partner_id: 'acme', payload: {} })),
      );

      const ids = records.map((record) => record.id.value);
      expect(new Set(ids).size).toBe(5);
      expect([...ids].sort()).toEqual(ids);
    });

    it('stamps every record of a batch with one receive time, read once', () => {
      const clock = jest
        .fn<Date, []>()
        .mockReturnValueOnce(new Date('2026-01-01T00:00:00.000Z'))
        .mockReturnValue(new Date('2026-06-30T23:59:59.999Z'));
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, clock);

      const records = factory.createBatch([
        { partner_id: 'acme', payload: {} },
        { partner_id: 'acme', payload: {} },
        { partner_id: 'acme', payload: {} },
      ]);

      expect(records.map((record) => record.timestamp.value)).toEqual([
        '2026-01-01T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z',
        '2026-01-01T00:00:00.000Z',
      ]);
      expect(clock).toHaveBeenCalledTimes(1);
    });

    it('keeps each payload as the partner wrote it, when its text is given (by index)', () => {
      const payloadText = '{ "b": 1, "2": "two", "a": 3 }';

      const [first, second] = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock).createBatch(
        [
          { partner_id: 'acme', payload: { z: 0, 1: 1 } },
          { partner_id: 'acme', payload: JSON.parse(payloadText) },
        ],
        [undefined, JsonText.scan(payloadText)],
      );

      expect(first.payload.json).toBe('{"1":1,"z":0}');
      expect(second.payload.json).toBe('{"b":1,"2":"two","a":3}');
    });

    it('checks the payload text it is given, not the parsed value: a repeated key nested too deep counts', () => {
      const payloadText = '{"k":{"k":{"k":1}},"k":1}';
      const factory = new IngestedDataFactory(strict, fixedClock);

      expect(() => factory.createBatch([{ partner_id: 'acme', payload: JSON.parse(payloadText) }])).not.toThrow();
      expect(
        batchErrorOf(() =>
          factory.createBatch([{ partner_id: 'acme', payload: JSON.parse(payloadText) }], [JsonText.scan(payloadText)]),
        ).errors,
      ).toEqual([{ field: 'records[0].payload', message: expect.stringContaining('nested deeper than 2') }]);
    });

    it('accepts from 1 up to maxBatchRecords records', () => {
      const factory = new IngestedDataFactory(strict, fixedClock);
      const input = { partner_id: 'acme', payload: {} };

      expect(factory.createBatch([input])).toHaveLength(1);
      expect(factory.createBatch([input, input, input])).toHaveLength(3);
    });

    it.each([
      ['no records', 0],
      ['one record more than maxBatchRecords', 4],
    ])('rejects %s as a whole, naming records as the field', (_case, count) => {
      const factory = new IngestedDataFactory(strict, fixedClock);
      const inputs = Array.from({ length: count }, () => ({ partner_id: 'acme', payload: {} }));

      const error = batchErrorOf(() => factory.createBatch(inputs));

      expect(error.field).toBe('records');
      expect(error.errors).toEqual([{ field: 'records', message: expect.stringContaining('1 to 3') }]);
      expect(error.errors[0].message).toContain(`not ${count}`);
    });

    it('allows 1000 records by default and no more', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);
      const inputs = Array.from({ length: 1001 }, (_, n) => ({ partner_id: 'acme', payload: { n } }));

      expect(factory.createBatch(inputs.slice(0, 1000))).toHaveLength(1000);
      expect(batchErrorOf(() => factory.createBatch(inputs)).errors).toEqual([
        { field: 'records', message: expect.stringContaining('1 to 1000') },
      ]);
    });

    it('reports every invalid field of every record at once, named after its record', () => {
      const factory = new IngestedDataFactory(strict, fixedClock);

      const error = batchErrorOf(() =>
        factory.createBatch([
          { partner_id: 'a/b', payload: {} },
          { partner_id: 'acme', payload: {} },
          { partner_id: undefined, payload: [1] },
        ]),
      );

      expect(error.errors.map((problem) => problem.field)).toEqual([
        'records[0].partner_id',
        'records[2].partner_id',
        'records[2].payload',
      ]);
      for (const problem of error.errors) expect(problem.message).toEqual(expect.any(String));
      expect(error.errors[2].message).toContain('records[2].payload');
      expect(error.field).toBe('records[0].partner_id');
      expect(error.message).toContain('3 problem(s)');
    });

    it.each([
      ['a too deep payload', PayloadMother.nestedObjects(3), 'records[1].payload'],
      ['a too large payload', PayloadMother.ofSerializedBytes(21), 'records[1].payload'],
      ['a non-object payload', 'text', 'records[1].payload'],
      ['a null payload', null, 'records[1].payload'],
    ])('rejects the whole batch for %s in one record', (_case, payload, field) => {
      const factory = new IngestedDataFactory(strict, fixedClock);

      const error = batchErrorOf(() =>
        factory.createBatch([
          { partner_id: 'acme', payload: {} },
          { partner_id: 'acme', payload },
          { partner_id: 'acme', payload: {} },
        ]),
      );

      expect(error.errors).toEqual([{ field, message: expect.any(String) }]);
    });

    it('is a domain error with a stable code', () => {
      const error = batchErrorOf(() => new IngestedDataFactory(strict, fixedClock).createBatch([]));

      expect(error).toBeInstanceOf(IngestionError);
      expect(error.code).toBe('invalid-batch');
    });

    it('reports unknown fields with the value problems, in record order', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);
      const records: Array<Record<string, unknown>> = Array.from({ length: 12 }, (_, n) => ({
        partner_id: 'acme',
        payload: { n },
      }));
      records[2] = { partner_id: 'bad/id', payload: { n: 2 }, id: 'x' };
      records[10] = { partner_id: 'acme', payload: { n: 10 }, extra: 1 };
      records[11] = { partner_id: 'acme', payload: [11] };

      const error = batchErrorOf(() => factory.createBatch(records));

      expect(error.errors).toEqual([
        { field: 'records[2].id', message: 'id is not a known field' },
        { field: 'records[2].partner_id', message: expect.any(String) },
        { field: 'records[10].extra', message: 'extra is not a known field' },
        { field: 'records[11].payload', message: expect.any(String) },
      ]);
      expect(error.field).toBe('records[2].id');
    });

    it('names an unknown field before the value problems of its record, whatever the field order', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

      const error = batchErrorOf(() =>
        factory.createBatch([{ extra: 1, payload: 'text', partner_id: 'a/b', more: 2 }]),
      );

      expect(error.errors.map((problem) => problem.field)).toEqual([
        'records[0].extra',
        'records[0].more',
        'records[0].partner_id',
        'records[0].payload',
      ]);
    });

    it('rejects a batch of valid values when one record has an unknown field', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

      const error = batchErrorOf(() =>
        factory.createBatch([
          { partner_id: 'acme', payload: {} },
          { partner_id: 'acme', payload: {}, extra: 1 },
        ]),
      );

      expect(error.errors).toEqual([{ field: 'records[1].extra', message: 'extra is not a known field' }]);
    });

    it.each(['__proto__', 'constructor', 'toString'])('treats a field named %s as unknown', (key) => {
      const records = JSON.parse(`[{"partner_id":"acme","payload":{},"${key}":{}}]`) as unknown[];

      const error = batchErrorOf(() =>
        new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock).createBatch(records),
      );

      expect(error.errors).toEqual([{ field: `records[0].${key}`, message: `${key} is not a known field` }]);
    });

    it.each([
      ['a string', 'acme'],
      ['a number', 42],
      ['null', null],
      ['an array', [{ partner_id: 'acme', payload: {} }]],
    ])('reports a record that is %s by its index, and nothing more of it', (_case, record) => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

      const error = batchErrorOf(() =>
        factory.createBatch([{ partner_id: 'acme', payload: {} }, record, { partner_id: 'acme', payload: {} }]),
      );

      expect(error.errors).toEqual([{ field: 'records[1]', message: 'each record must be a JSON object' }]);
    });

    it('reports every shape problem of every record at once, in record order', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

      const error = batchErrorOf(() =>
        factory.createBatch([
          { partner_id: 'acme', payload: {} },
          7,
          { partner_id: 'acme', payload: {}, id: 'x', ts: 1 },
          's',
        ]),
      );

      expect(error.errors.map((problem) => problem.field)).toEqual([
        'records[1]',
        'records[2].id',
        'records[2].ts',
        'records[3]',
      ]);
    });

    it('leaves values to the value objects: null, a string or a missing field is no shape problem', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

      const error = batchErrorOf(() =>
        factory.createBatch([{ partner_id: null, payload: 'text' }, { payload: {} }, { partner_id: 'acme' }]),
      );

      expect(error.errors.map((problem) => problem.field)).toEqual([
        'records[0].partner_id',
        'records[0].payload',
        'records[1].partner_id',
        'records[2].payload',
      ]);
      for (const problem of error.errors) expect(problem.message).not.toContain('not a known field');
    });

    it('names missing and invalid fields together with the shape problems, in record order', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

      const error = batchErrorOf(() =>
        factory.createBatch([
          { partner_id: 'acme', payload: {} },
          { partner_id: 'acme', payload: {}, extra: 1 },
          { payload: {} },
          'x',
          { partner_id: 'acme' },
        ]),
      );

      expect(error.errors.map((problem) => problem.field)).toEqual([
        'records[1].extra',
        'records[2].partner_id',
        'records[3]',
        'records[4].payload',
      ]);
    });

    it('counts records that are not objects in the size of the batch', () => {
      const factory = new IngestedDataFactory(strict, fixedClock);

      expect(batchErrorOf(() => factory.createBatch([null, null, null, null])).errors).toEqual([
        { field: 'records', message: expect.stringContaining('not 4') },
      ]);
    });

    it.each([
      ['no records', [], 'not 0'],
      [
        'more records than the limit, some of them invalid',
        [{ partner_id: 'acme', payload: {} }, 7, 'x', { extra: 1 }],
        'not 4',
      ],
    ])('refuses a batch of %s by its size alone', (_case, records, count) => {
      const factory = new IngestedDataFactory(strict, fixedClock);

      expect(batchErrorOf(() => factory.createBatch(records)).errors).toEqual([
        { field: 'records', message: expect.stringContaining(count) },
      ]);
    });

    it('counts the records before any per-record work: 2,000,000 elements are refused at once', () => {
      const records = new Array<unknown>(2_000_000).fill(0);

      expect(batchErrorOf(() => new IngestedDataFactory().createBatch(records)).errors).toEqual([
        { field: 'records', message: expect.stringContaining('not 2000000') },
      ]);
    });

    it('names a missing partner_id or payload after its record', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

      const error = batchErrorOf(() =>
        factory.createBatch([
          { partner_id: undefined, payload: {} },
          { partner_id: 'acme', payload: undefined },
        ]),
      );

      expect(error.errors.map((problem) => problem.field)).toEqual(['records[0].partner_id', 'records[1].payload']);
    });

    it('passes on a failure that is not a validation error instead of reporting it as a field', () => {
      const factory = new IngestedDataFactory(DEFAULT_PAYLOAD_LIMITS, fixedClock);

      // JSON.stringify throws a TypeError on a BigInt: no JSON value holds one.
      expect(() => factory.createBatch([{ partner_id: 'acme', payload: { a: 1n } }])).toThrow(TypeError);
    });
  });
});

function batchErrorOf(build: () => unknown): InvalidBatchError {
  try {
    build();
  } catch (error) {
    if (error instanceof InvalidBatchError) return error;
    throw error;
  }
  throw new Error('expected an InvalidBatchError, but nothing was thrown');
}
