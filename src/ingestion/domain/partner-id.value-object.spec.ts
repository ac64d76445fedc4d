import { PartnerIdMother } from '../../../test/mothers/partner-id.mother';
import { InvalidPartnerIdError } from './ingestion.errors';
import { PartnerId } from './partner-id.value-object';

describe('PartnerId', () => {
  it.each([
    ['a plain name', 'acme'],
    ['one letter', 'a'],
    ['one digit', '7'],
    ['upper case', 'ACME'],
    ['every allowed character', 'Acme-Corp_2.eu~x'],
    ['a leading digit', '42acme'],
    ['64 characters', PartnerIdMother.ofLength(64)],
  ])('accepts %s', (_case, value) => {
    expect(PartnerId.create(value).value).toBe(value);
  });

  it('allows 64 characters and no more', () => {
    expect(PartnerId.MAX_LENGTH).toBe(64);
    expect(PartnerId.create(PartnerIdMother.ofLength(64)).value).toHaveLength(64);
    expect(() => PartnerId.create(PartnerIdMother.ofLength(65))).toThrow(InvalidPartnerIdError);
  });

  it.each([
    ['empty', ''],
    ['a leading hyphen', '-acme'],
    ['a leading dot', '.acme'],
    ['a leading underscore', '_acme'],
    ['a leading tilde', '~acme'],
    ['a space', 'ac me'],
    ['a slash', 'acme/eu'],
    ['a backslash', 'acme\\eu'],
    ['a percent sign', 'acme%2F'],
    ['a question mark', 'acme?x'],
    ['a colon', 'acme:eu'],
    ['an accented letter', 'acmé'],
    ['non-Latin letters', 'パートナー'],
    ['an emoji', 'acme😀'],
    ['a trailing newline', 'acme\n'],
    ['a leading tab', '\tacme'],
    ['a NUL character', 'acme\u0000'],
    ['65 characters', PartnerIdMother.ofLength(65)],
  ])('rejects %s with InvalidPartnerIdError', (_case, value) => {
    expect(() => PartnerId.create(value)).toThrow(InvalidPartnerIdError);
  });

  it.each([[undefined], [null], [42], [true], [{}], [['acme']]])('rejects the non-string %p', (value) => {
    expect(() => PartnerId.create(value)).toThrow(InvalidPartnerIdError);
  });

  it('tells the client what a partner id must be (the problem detail)', () => {
    expect(() => PartnerId.create(undefined)).toThrow(new InvalidPartnerIdError('partner_id is required.'));
    expect(() => PartnerId.create(42)).toThrow(new InvalidPartnerIdError('partner_id must be a string.'));
    expect(() => PartnerId.create('a/b')).toThrow(
      new InvalidPartnerIdError(
        'partner_id must be 1-64 characters of A-Z a-z 0-9 . _ ~ - and start with a letter or digit.',
      ),
    );
  });

  it('names the partner_id field by default', () => {
    const namesPartnerId = expect.objectContaining({ code: 'invalid-partner-id', field: 'partner_id' });

    expect(() => PartnerId.create('a/b')).toThrow(namesPartnerId);
    expect(() => PartnerId.create(42)).toThrow(namesPartnerId);
  });

  it('names the field it is given, for both a bad string and a non-string', () => {
    const field = 'records[3].partner_id';

    expect(() => PartnerId.create('a/b', field)).toThrow(
      expect.objectContaining({ code: 'invalid-partner-id', field }),
    );
    expect(() => PartnerId.create(undefined, field)).toThrow(
      expect.objectContaining({ code: 'invalid-partner-id', field }),
    );
  });

  it('is equal to another PartnerId with the same value only (case matters)', () => {
    expect(PartnerId.create('acme').equals(PartnerId.create('acme'))).toBe(true);
    expect(PartnerId.create('acme').equals(PartnerId.create('ACME'))).toBe(false);
    expect(PartnerId.create('acme').toString()).toBe('acme');
  });
});
