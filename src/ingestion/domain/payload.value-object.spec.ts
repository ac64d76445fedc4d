import { PayloadMother } from '../../../test/mothers/payload.mother';
import { InvalidPayloadError, PayloadTooLargeError } from './ingestion.errors';
import { DEFAULT_PAYLOAD_LIMITS, JsonObject, Payload, PayloadLimits } from './payload.value-object';

const invalidPayload = (field = 'payload') => expect.objectContaining({ code: 'invalid-payload', field });
const payloadTooLarge = (field = 'payload') => expect.objectContaining({ code: 'payload-too-large', field });

describe('Payload', () => {
  it('defaults to the contract limits: 256 KiB and 32 levels', () => {
    expect(DEFAULT_PAYLOAD_LIMITS).toEqual({ maxBytes: 262_144, maxDepth: 32 });
  });

  it('keeps an object and its JSON text', () => {
    const reading = PayloadMother.reading();

    const payload = Payload.create(reading);

    expect(payload.value).toEqual(reading);
    expect(payload.json).toBe(JSON.stringify(reading));
  });

  it('accepts an empty object', () => {
    expect(Payload.create({}).json).toBe('{}');
  });

  describe('shape', () => {
    it.each([
      ['an empty array', []],
      ['an array of objects', [{ a: 1 }]],
      ['null', null],
      ['undefined', undefined],
      ['a string', '{"a":1}'],
      ['an empty string', ''],
      ['a number', 42],
      ['zero', 0],
      ['true', true],
      ['false', false],
    ])('rejects %s with InvalidPayloadError', (_case, value) => {
      expect(() => Payload.create(value)).toThrow(InvalidPayloadError);
      expect(() => Payload.create(value)).toThrow(invalidPayload());
    });

    it('names the field it is given', () => {
      expect(() => Payload.create([], DEFAULT_PAYLOAD_LIMITS, 'records[3].payload')).toThrow(
        invalidPayload('records[3].payload'),
      );
    });
  });

  describe('depth', () => {
    it('counts the payload object itself as level 1', () => {
      const flatOnly: PayloadLimits = { maxBytes: 1_000, maxDepth: 1 };

      expect(() => Payload.create({ a: 1, b: 'x' }, flatOnly)).not.toThrow();
      expect(() => Payload.create({ a: {} }, flatOnly)).toThrow(invalidPayload());
      expect(() => Payload.create({ a: [] }, flatOnly)).toThrow(invalidPayload());
    });

    it('accepts exactly 32 nested levels', () => {
      const payload = Payload.create(PayloadMother.nestedObjects(32));

      expect(payload.json).toBe('{"child":'.repeat(31) + '{}' + '}'.repeat(31));
    });

    it('rejects 33 nested levels with InvalidPayloadError', () => {
      expect(() => Payload.create(PayloadMother.nestedObjects(33))).toThrow(InvalidPayloadError);
    });

    it('counts arrays as levels', () => {
      expect(() => Payload.create(PayloadMother.nestedArrays(32))).not.toThrow();
      expect(() => Payload.create(PayloadMother.nestedArrays(33))).toThrow(invalidPayload());
    });

    it('counts containers, not the scalars inside them', () => {
      const thirtyTwoLevelsWithScalars = PayloadMother.nestedObjects(32, { n: 1, s: 'leaf', t: true, z: null });

      expect(() => Payload.create(thirtyTwoLevelsWithScalars)).not.toThrow();
    });

    it('finds the one deep branch among shallow ones', () => {
      const wide = { a: 1, b: { c: 2 }, d: [1, 2, 3], deep: PayloadMother.nestedObjects(32), e: 'x' };

      expect(() => Payload.create(wide)).toThrow(invalidPayload());
    });

    it('rejects hostile nesting with a domain error rather than a stack overflow', () => {
      expect(() => Payload.create(PayloadMother.nestedObjects(100_000))).toThrow(InvalidPayloadError);
    });

    it('holds on the source text: a repeated key hides a deeper first value from the parsed object', () => {
      const text = `{"k":${'{"k":'.repeat(32)}1${'}'.repeat(32)},"k":1}`;

      expect(() => Payload.create(JSON.parse(text), DEFAULT_PAYLOAD_LIMITS, 'payload', text)).toThrow(invalidPayload());
    });

    it('rejects 100,000 levels of source text behind a repeated key, without a stack overflow', () => {
      const text = `{"k":${'['.repeat(100_000)}${']'.repeat(100_000)},"k":1}`;

      expect(() => Payload.create({ k: 1 }, DEFAULT_PAYLOAD_LIMITS, 'payload', text)).toThrow(invalidPayload());
    });

    it('honours a custom limit and names the field it is given', () => {
      const limits: PayloadLimits = { maxBytes: 1_000, maxDepth: 3 };

      expect(() => Payload.create(PayloadMother.nestedObjects(3), limits)).not.toThrow();
      expect(() => Payload.create(PayloadMother.nestedObjects(4), limits, 'records[0].payload')).toThrow(
        invalidPayload('records[0].payload'),
      );
    });
  });

  describe('unicode', () => {
    it.each([
      ['a lone high surrogate', '{"s":"\\ud800"}'],
      ['a lone low surrogate in a key', '{"\\udc00":1}'],
    ])('rejects %s: the text would be no Unicode', (_case, text) => {
      expect(() => Payload.create(JSON.parse(text), DEFAULT_PAYLOAD_LIMITS, 'records[1].payload', text)).toThrow(
        invalidPayload('records[1].payload'),
      );
    });

    it('rejects a lone surrogate in a parsed value without source text', () => {
      expect(() => Payload.create({ s: '\ud800' })).toThrow(invalidPayload());
    });

    it('keeps a pair of surrogate escapes as written', () => {
      const text = '{"s":"\\ud83d\\ude00"}';

      expect(Payload.create(JSON.parse(text), DEFAULT_PAYLOAD_LIMITS, 'payload', text).json).toBe(text);
    });
  });

  describe('size', () => {
    it('accepts a payload of exactly maxBytes serialised bytes', () => {
      const payload = Payload.create(PayloadMother.ofSerializedBytes(100), { maxBytes: 100, maxDepth: 32 });

      expect(payload.byteLength).toBe(100);
    });

    it('rejects maxBytes + 1 with PayloadTooLargeError', () => {
      const limits: PayloadLimits = { maxBytes: 100, maxDepth: 32 };

      expect(() => Payload.create(PayloadMother.ofSerializedBytes(101), limits)).toThrow(PayloadTooLargeError);
      expect(() => Payload.create(PayloadMother.ofSerializedBytes(101), limits)).toThrow(payloadTooLarge());
    });

    it('enforces the default limit at exactly 262144 bytes', () => {
      expect(Payload.create(PayloadMother.ofSerializedBytes(262_144)).byteLength).toBe(262_144);
      expect(() => Payload.create(PayloadMother.ofSerializedBytes(262_145))).toThrow(PayloadTooLargeError);
    });

    it.each([
      ['a 2-byte character', 'é'],
      ['a 3-byte character', '€'],
      ['a 4-byte character (a surrogate pair in JavaScript)', '😀'],
    ])('counts %s in UTF-8 bytes, not in JavaScript characters', (_case, character) => {
      const value = PayloadMother.ofSerializedBytes(8 + 10 * Buffer.byteLength(character), character);
      const json = JSON.stringify(value);
      const bytes = Buffer.byteLength(json, 'utf8');
      expect(json.length).toBeLessThan(bytes);

      expect(Payload.create(value, { maxBytes: bytes, maxDepth: 32 }).byteLength).toBe(bytes);
      expect(() => Payload.create(value, { maxBytes: bytes - 1, maxDepth: 32 })).toThrow(PayloadTooLargeError);
      expect(() => Payload.create(value, { maxBytes: json.length, maxDepth: 32 })).toThrow(PayloadTooLargeError);
    });

    it('names the field it is given', () => {
      const limits: PayloadLimits = { maxBytes: 10, maxDepth: 32 };

      expect(() => Payload.create(PayloadMother.ofSerializedBytes(11), limits, 'records[3].payload')).toThrow(
        payloadTooLarge('records[3].payload'),
      );
    });
  });

  describe('json', () => {
    it('keeps the key order of the object, at every level', () => {
      const payload = Payload.create({ zebra: 1, apple: { y: 1, x: 2 }, mango: [{ b: 1, a: 2 }] });

      expect(payload.json).toBe('{"zebra":1,"apple":{"y":1,"x":2},"mango":[{"b":1,"a":2}]}');
    });

    it('keeps unicode as is', () => {
      const payload = Payload.create({ city: 'Zürich', greeting: 'こんにちは', mood: '😀', escaped: 'tab\tquote"' });

      expect(payload.json).toBe('{"city":"Zürich","greeting":"こんにちは","mood":"😀","escaped":"tab\\tquote\\""}');
      expect(Payload.fromJson(payload.json).value).toEqual({
        city: 'Zürich',
        greeting: 'こんにちは',
        mood: '😀',
        escaped: 'tab\tquote"',
      });
    });

    it('keeps a key named constructor as plain data', () => {
      const payload = Payload.create(JSON.parse('{"constructor":{"name":"evil"},"a":1}') as JsonObject);

      expect(payload.json).toBe('{"constructor":{"name":"evil"},"a":1}');
      const read = Payload.fromJson(payload.json).value;
      expect(Object.keys(read)).toEqual(['constructor', 'a']);
      expect(read.constructor).toEqual({ name: 'evil' });
    });

    it('keeps an own __proto__ key (as JSON.parse creates it) without touching any prototype', () => {
      const parsed = JSON.parse('{"a":1,"__proto__":{"polluted":true},"b":2}') as JsonObject;

      const payload = Payload.create(parsed);

      expect(payload.json).toBe('{"a":1,"__proto__":{"polluted":true},"b":2}');
      const read = Payload.fromJson(payload.json).value;
      expect(Object.keys(read)).toEqual(['a', '__proto__', 'b']);
      expect(Object.getPrototypeOf(read)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(read, '__proto__')?.value).toEqual({ polluted: true });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('counts an own __proto__ key towards the depth', () => {
      const hidden = JSON.parse(`{"__proto__":${JSON.stringify(PayloadMother.nestedObjects(32))}}`) as JsonObject;

      expect(() => Payload.create(hidden)).toThrow(InvalidPayloadError);
    });
  });

  describe('fromJson', () => {
    it('round-trips: the same text, the same value, equal payloads', () => {
      const original = Payload.create({ b: [1, { c: null }], a: 'ü', n: -0.5e-3 });

      const read = Payload.fromJson(original.json);

      expect(read.json).toBe(original.json);
      expect(read.value).toEqual(original.value);
      expect(Object.keys(read.value)).toEqual(['b', 'a', 'n']);
      expect(read.equals(original)).toBe(true);
      expect(read.byteLength).toBe(original.byteLength);
    });
  });

  describe('equals', () => {
    it('is true for the same JSON and false otherwise', () => {
      expect(Payload.create({ a: 1, b: 2 }).equals(Payload.create({ a: 1, b: 2 }))).toBe(true);
      expect(Payload.create({ a: 1, b: 2 }).equals(Payload.create({ a: 1, b: 3 }))).toBe(false);
      expect(Payload.create({ a: 1 }).equals(Payload.create({ a: 1, b: 2 }))).toBe(false);
    });

    it('treats key order as significant, as the stored JSON does', () => {
      expect(Payload.create({ a: 1, b: 2 }).equals(Payload.create({ b: 2, a: 1 }))).toBe(false);
    });
  });
});
