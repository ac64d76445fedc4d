export interface JsonTextShape {
  compact: string;
  depth: number;
}

/** Nesting measured on the text, not the parsed value: a repeated key that JSON.parse dropped still counts. */
export function scanJson(text: string): JsonTextShape {
  let compact = '';
  let runStart = 0;
  let depth = 0;
  let deepest = 0;
  let i = 0;
  while (i < text.length) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) {
      i = endOfJsonString(text, i);
      continue;
    }
    if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      if (++depth > deepest) deepest = depth;
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth--;
    } else if (isWhitespace(char)) {
      compact += text.slice(runStart, i);
      while (i < text.length && isWhitespace(text.charCodeAt(i))) i++;
      runStart = i;
      continue;
    }
    i++;
  }
  return { compact: runStart === 0 ? text : compact + text.slice(runStart), depth: deepest };
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

function isWhitespace(char: number): boolean {
  return char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09;
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
