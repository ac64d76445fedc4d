import { InvalidPayloadError, PayloadTooLargeError } from './ingestion.errors';
import { hasUnpairedSurrogate, JsonText } from './json-text';

export interface PayloadLimits {
  maxBytes: number;
  maxDepth: number;
}

/** Deepest nesting the contract allows: not a setting. */
export const MAX_PAYLOAD_DEPTH = 32;

export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = { maxBytes: 262_144, maxDepth: MAX_PAYLOAD_DEPTH };

export type JsonObject = { [key: string]: unknown };

/** Kept as the partner's text, compacted: a JavaScript object would put integer-like keys ("2") first. */
export class Payload {
  private constructor(readonly json: string) {}

  /** `value` is the parsed payload, or its `JsonText` when the transport scanned it (keeps key order). */
  static create(
    value: unknown,
    limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
    field = 'payload',
    sourceText?: string,
  ): Payload {
    if (value === undefined) throw new InvalidPayloadError(`${field} is required.`, field);
    const text = value instanceof JsonText ? value : Payload.textOf(value, limits, field, sourceText);
    if (text.kind !== 'object')
      throw new InvalidPayloadError(`${field} must be a JSON object, not ${describe(text.kind)}.`, field);
    // The rules hold on the text that is stored: with a repeated key, the parsed value kept only the last.
    if (text.depth > limits.maxDepth) throw tooDeep(field, limits);
    const json = text.compact;
    if (hasUnpairedSurrogate(json)) {
      throw new InvalidPayloadError(
        `${field} holds a string with an unpaired UTF-16 surrogate escape (such as \\ud800), which is not Unicode text.`,
        field,
      );
    }
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > limits.maxBytes) {
      throw new PayloadTooLargeError(`${field} is ${bytes} bytes serialised; the limit is ${limits.maxBytes}.`, field);
    }
    return new Payload(json);
  }

  private static textOf(value: unknown, limits: PayloadLimits, field: string, sourceText?: string): JsonText {
    if (!isJsonObject(value)) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
      throw new InvalidPayloadError(`${field} must be a JSON object, not ${describe(kind)}.`, field);
    }
    if (sourceText !== undefined) return JsonText.scan(sourceText.trim());
    if (exceedsDepth(value, limits.maxDepth)) throw tooDeep(field, limits);
    return JsonText.of(value);
  }

  /** From storage: the text was validated when the record was ingested. */
  static fromJson(json: string): Payload {
    return new Payload(json);
  }

  /** A fresh parse of the text: callers cannot alter the payload through it. */
  get value(): JsonObject {
    return JSON.parse(this.json) as JsonObject;
  }

  get byteLength(): number {
    return Buffer.byteLength(this.json, 'utf8');
  }

  equals(other: Payload): boolean {
    return this.json === other.json;
  }
}

function isJsonObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function describe(kind: string): string {
  if (kind === 'null') return 'null';
  if (kind === 'array') return 'an array';
  return `a ${kind}`;
}

function tooDeep(field: string, limits: PayloadLimits): InvalidPayloadError {
  return new InvalidPayloadError(`${field} is nested deeper than ${limits.maxDepth} levels.`, field);
}

/** Bounded by `maxDepth` (it stops at the first container past it): hostile nesting cannot exhaust the stack. */
function exceedsDepth(node: object, maxDepth: number, depth = 1): boolean {
  if (depth > maxDepth) return true;
  for (const child of Array.isArray(node) ? node : Object.values(node)) {
    if (typeof child === 'object' && child !== null && exceedsDepth(child as object, maxDepth, depth + 1)) return true;
  }
  return false;
}
