import { v7 as uuidv7 } from 'uuid';
import { InvalidDataIdError } from './ingestion.errors';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * Lower case, but input in any case (RFC 9562). `uuid`'s v7 keeps a per-process counter (RFC 9562 §6.2):
 * one process's ids sort in generation order, also within a millisecond or when the clock steps back.
 */
export class DataId {
  private constructor(readonly value: string) {}

  static generate(): DataId {
    return new DataId(uuidv7());
  }

  static create(value: string, field = 'id'): DataId {
    if (!DataId.isValid(value)) {
      throw new InvalidDataIdError(`${field} '${String(value).slice(0, 64)}' is not a UUID version 7.`, field);
    }
    return new DataId(value.toLowerCase());
  }

  static isValid(value: unknown): value is string {
    return typeof value === 'string' && UUID_V7.test(value);
  }

  equals(other: DataId): boolean {
    return this.value === other.value;
  }

  toString(): string {
    return this.value;
  }
}
