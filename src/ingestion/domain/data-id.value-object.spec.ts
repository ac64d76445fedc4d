import { DataId } from './data-id.value-object';
import { InvalidDataIdError } from './ingestion.errors';

const CANONICAL_LOWER_CASE_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('DataId', () => {
  afterEach(() => jest.restoreAllMocks());

  describe('generate', () => {
    it('gives a lower-case canonical UUID version 7', () => {
      const id = DataId.generate();

      expect(id.value).toMatch(CANONICAL_LOWER_CASE_V7);
      expect(id.value).toBe(id.value.toLowerCase());
      expect(DataId.isValid(id.value)).toBe(true);
    });

    it('gives ids that are strictly increasing as strings, even many within one millisecond', () => {
      const ids = Array.from({ length: 10_000 }, () => DataId.generate().value);

      const outOfOrder = ids.filter((id, index) => index > 0 && !(ids[index - 1] < id));
      expect(outOfOrder).toEqual([]);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('keeps ids increasing when every one of them falls in the same millisecond', () => {
      jest.spyOn(Date, 'now').mockReturnValue(Date.now());

      const ids = Array.from({ length: 10_000 }, () => DataId.generate().value);

      expect(new Set(ids.map(timePrefix)).size).toBe(1);
      const outOfOrder = ids.filter((id, index) => index > 0 && !(ids[index - 1] < id));
      expect(outOfOrder).toEqual([]);
    });

    it('keeps ids increasing when the clock steps back', () => {
      const now = Date.now();
      const clock = jest.spyOn(Date, 'now');

      clock.mockReturnValue(now + 60_000);
      const before = DataId.generate().value;
      clock.mockReturnValue(now);
      const after = DataId.generate().value;

      expect(after > before).toBe(true);
    });
  });

  describe('create', () => {
    it('accepts a lower-case canonical UUID version 7 and keeps it as is', () => {
      const value = '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69';

      expect(DataId.create(value).value).toBe(value);
    });

    it('accepts what generate gives', () => {
      const generated = DataId.generate();

      expect(DataId.create(generated.value).equals(generated)).toBe(true);
    });

    it.each([
      ['version 4', '3b241101-e2bb-4255-8caf-4136c566a962'],
      ['version 1', 'c232ab00-9414-11ec-b3c8-9f6bdeced846'],
      ['the nil UUID', '00000000-0000-0000-0000-000000000000'],
      ['a wrong variant', '019ad3a1-7c2e-7b3d-cf4a-1e2d3c4b5a69'],
      ['no hyphens', '019ad3a17c2e7b3d8f4a1e2d3c4b5a69'],
      ['braces', '{019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69}'],
      ['a urn', 'urn:uuid:019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69'],
      ['surrounding spaces', ' 019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69 '],
      ['a trailing newline', '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69\n'],
      ['not a uuid', 'not-a-uuid'],
      ['an empty string', ''],
    ])('rejects %s with InvalidDataIdError', (_case, value) => {
      expect(() => DataId.create(value)).toThrow(InvalidDataIdError);
      expect(DataId.isValid(value)).toBe(false);
    });

    it.each([
      ['upper case', '019AD3A1-7C2E-7B3D-8F4A-1E2D3C4B5A69'],
      ['mixed case', '019ad3a1-7c2e-7b3d-8F4A-1e2d3c4b5a69'],
    ])('accepts %s (RFC 9562: input is case-insensitive) and keeps the lower-case spelling', (_case, value) => {
      expect(DataId.isValid(value)).toBe(true);
      expect(DataId.create(value).value).toBe('019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69');
    });

    it('names the same record as the generated id when upper-cased', () => {
      const generated = DataId.generate();

      expect(DataId.create(generated.value.toUpperCase()).equals(generated)).toBe(true);
    });

    it.each([[undefined], [null], [42], [{}]])('rejects the non-string %p', (value) => {
      expect(() => DataId.create(value as unknown as string)).toThrow(InvalidDataIdError);
      expect(DataId.isValid(value)).toBe(false);
    });

    it('quotes at most 64 characters of what it refuses, under the field it is given', () => {
      expect(() => DataId.create('nope')).toThrow(new InvalidDataIdError("id 'nope' is not a UUID version 7."));
      expect(() => DataId.create(`${'x'.repeat(64)}tail`, 'after')).toThrow(
        new InvalidDataIdError(`after '${'x'.repeat(64)}' is not a UUID version 7.`),
      );
      expect(() => DataId.create('nope', 'after')).toThrow(expect.objectContaining({ field: 'after' }));
    });

    it('raises an error that names the id field and carries the domain code', () => {
      expect(() => DataId.create('nope')).toThrow(
        expect.objectContaining({ code: 'invalid-data-id', field: 'id', name: 'InvalidDataIdError' }),
      );
    });
  });

  it('is equal to another DataId with the same value only', () => {
    const value = '019ad3a1-7c2e-7b3d-8f4a-1e2d3c4b5a69';

    expect(DataId.create(value).equals(DataId.create(value))).toBe(true);
    expect(DataId.create(value).equals(DataId.generate())).toBe(false);
    expect(DataId.create(value).toString()).toBe(value);
  });
});

/** The 48-bit millisecond field of a UUIDv7, in its canonical text form. */
function timePrefix(id: string): string {
  return id.slice(0, 13);
}
