import { PayloadMother } from '../../../test/mothers/payload.mother';
import { DataIngested } from './data-ingested.event';
import { IngestedData } from './ingested-data.aggregate';
import { IngestedDataFactory } from './ingested-data.factory';
import { InvalidPartnerIdError, InvalidPayloadError, PayloadTooLargeError } from './ingestion.errors';
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
});
