const INSIGNIFICANT_WHITESPACE = /[ \t\n\r]/;

/**
 * Removes the whitespace JSON allows between tokens, leaving strings, numbers and key order
 * exactly as written. The text must be valid JSON.
 */
export function compactJson(text: string): string {
  if (!INSIGNIFICANT_WHITESPACE.test(text)) return text;
  let out = '';
  let runStart = 0;
  let i = 0;
  while (i < text.length) {
    const char = text.charCodeAt(i);
    if (char === 0x22 /* " */) {
      i = endOfJsonString(text, i);
    } else if (char === 0x20 || char === 0x09 || char === 0x0a || char === 0x0d) {
      out += text.slice(runStart, i);
      while (i < text.length && INSIGNIFICANT_WHITESPACE.test(text[i])) i++;
      runStart = i;
    } else {
      i++;
    }
  }
  return out + text.slice(runStart);
}

/** Index just past the string literal that opens at `start` (a `"`). */
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
