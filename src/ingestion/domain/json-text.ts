export interface JsonTextShape {
  compact: string;
  depth: number;
}

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

/**
 * One JSON value as written, with its whitespace dropped: a parsed object would put
 * integer-like keys ("2", "10") first. Nesting is measured on the text, not on the parsed
 * value: a repeated key that JSON.parse dropped still counts.
 */
export class JsonText implements JsonTextShape {
  private constructor(
    readonly compact: string,
    readonly depth: number,
    readonly end: number,
  ) {}

  /** The value that starts at `start` of a text JSON.parse accepted; `end` is the index past it. One pass. */
  static scan(source: string, start = 0): JsonText {
    const first = source.charCodeAt(start);
    if (first === 0x22 /* " */) {
      const end = endOfJsonString(source, start);
      return new JsonText(source.slice(start, end), 0, end);
    }
    if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) {
      let end = start;
      while (end < source.length && !isDelimiter(source.charCodeAt(end))) end++;
      return new JsonText(source.slice(start, end), 0, end);
    }
    return JsonText.scanContainer(source, start);
  }

  private static scanContainer(source: string, start: number): JsonText {
    let compact = '';
    let runStart = start;
    let depth = 0;
    let deepest = 0;
    let i = start;
    while (i < source.length) {
      const char = source.charCodeAt(i);
      if (char === 0x22) {
        i = endOfJsonString(source, i);
        continue;
      }
      if (char === 0x7b || char === 0x5b) {
        if (++depth > deepest) deepest = depth;
      } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
        if (--depth === 0) {
          i++;
          break;
        }
      } else if (isWhitespace(char)) {
        compact += source.slice(runStart, i);
        while (i < source.length && isWhitespace(source.charCodeAt(i))) i++;
        runStart = i;
        continue;
      }
      i++;
    }
    const text = runStart === start ? source.slice(start, i) : compact + source.slice(runStart, i);
    return new JsonText(text, deepest, i);
  }

  static of(value: unknown): JsonText {
    return JsonText.scan(JSON.stringify(value));
  }

  get kind(): JsonKind {
    const first = this.compact.charCodeAt(0);
    if (first === 0x7b) return 'object';
    if (first === 0x5b) return 'array';
    if (first === 0x22) return 'string';
    if (first === 0x6e /* n */) return 'null';
    if (first === 0x74 /* t */ || first === 0x66 /* f */) return 'boolean';
    return 'number';
  }
}

export function scanJson(text: string): JsonTextShape {
  const { compact, depth } = JsonText.scan(text, skipWhitespace(text, 0));
  return { compact, depth };
}

const ESCAPE =
  /\\(?:u([dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?|u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)/g;

/** `"\ud800"` is no Unicode text (RFC 8259 §8.2, I-JSON); decoded from valid UTF-8, only an escape can hold one. */
export function hasUnpairedSurrogate(text: string): boolean {
  if (!text.includes('\\u')) return false;
  for (const [escape, high, low] of text.matchAll(ESCAPE)) {
    if (high !== undefined ? low === undefined : /^\\u[dD][c-fC-F]/.test(escape)) return true;
  }
  return false;
}

export function skipWhitespace(text: string, i: number): number {
  while (isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

function isWhitespace(char: number): boolean {
  return char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09;
}

function isDelimiter(char: number): boolean {
  return char === 0x2c /* , */ || char === 0x7d || char === 0x5d || isWhitespace(char);
}

export function endOfJsonString(text: string, start: number): number {
  let quote = text.indexOf('"', start + 1);
  while (quote !== -1) {
    let backslashes = 0;
    for (let j = quote - 1; text.charCodeAt(j) === 0x5c /* \ */; j--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    quote = text.indexOf('"', quote + 1);
  }
  throw new SyntaxError('Unterminated string in JSON text.');
}
