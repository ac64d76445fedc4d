import { InvalidPayloadError, PayloadTooLargeError } from './ingestion.errors';

export interface PayloadLimits {
  /** Largest serialised size in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting; the payload object itself is depth 1. */
  maxDepth: number;
}

export const DEFAULT_PAYLOAD_LIMITS: PayloadLimits = { maxBytes: 262_144, maxDepth: 32 };

export type JsonObject = { [key: string]: unknown };

/**
 * A partner's JSON object, kept with its serialised form. The JSON text is produced once,
 * here, and is what gets stored: reading it back yields the same keys in the same order
 * (including `__proto__` or `constructor`, which JSON.parse creates as plain own data).
 */
export class Payload {
  private constructor(
    private parsed: JsonObject | undefined,
    readonly json: string,
  ) {}

  static create(value: unknown, limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS, field = 'payload'): Payload {
    if (!isJsonObject(value)) {
      throw new InvalidPayloadError(`${field} must be a JSON object, not ${describe(value)}.`, field);
    }
    if (exceedsDepth(value, limits.maxDepth)) {
      throw new InvalidPayloadError(`${field} is nested deeper than ${limits.maxDepth} levels.`, field);
    }
    const json = JSON.stringify(value);
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > limits.maxBytes) {
      throw new PayloadTooLargeError(`${field} is ${bytes} bytes serialised; the limit is ${limits.maxBytes}.`, field);
    }
    return new Payload(value, json);
  }

  /** From storage: the text was validated when the record was ingested. */
  static fromJson(json: string): Payload {
    return new Payload(undefined, json);
  }

  get value(): JsonObject {
    this.parsed ??= JSON.parse(this.json) as JsonObject;
    return this.parsed;
  }

  get byteLength(): number {
    return Buffer.byteLength(this.json, 'utf8');
  }

  equals(other: Payload): boolean {
    return this.json === other.json;
  }
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

/** Iterative, and stops at the first container past the limit: no deep recursion on hostile input. */
function exceedsDepth(root: object, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > maxDepth) return true;
    const children = Array.isArray(node) ? node : Object.values(node as object);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}
