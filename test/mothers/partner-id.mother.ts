import { PartnerId } from '../../src/ingestion/domain/partner-id.value-object';

export class PartnerIdMother {
  static readonly ACME = 'acme';
  static readonly GLOBEX = 'globex';

  /** A valid id made of `length` characters (letters and digits only). */
  static ofLength(length: number): string {
    return 'p'.repeat(length);
  }

  static create(value: string = PartnerIdMother.ACME): PartnerId {
    return PartnerId.create(value);
  }
}
