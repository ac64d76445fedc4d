import { endOfJsonString } from '../../domain/json-text';

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * The source text of each member of the object that `text` (valid JSON) consists of, by
 * key. Lets the payload keep the partner's key order, which a parsed object cannot: it
 * puts integer-like keys first. A repeated key keeps its last value, as JSON.parse does.
 */
export function objectMemberSources(text: string): Map<string, string> {
  const members = new Map<string, string>();
  let i = skipWhitespace(text, 0);
  if (text[i] !== '{') throw new SyntaxError('The JSON text is not an object.');
  i = skipWhitespace(text, i + 1);
  while (text[i] !== '}') {
    const keyEnd = endOfJsonString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1); // past the ':'
    const valueEnd = endOfValue(text, valueStart);
    members.set(key, text.slice(valueStart, valueEnd));
    i = skipWhitespace(text, valueEnd);
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
  }
  return members;
}

function skipWhitespace(text: string, i: number): number {
  while (WHITESPACE.has(text.charCodeAt(i))) i++;
  return i;
}

function endOfValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return endOfJsonString(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    let i = start;
    do {
      const char = text[i];
      if (char === '"') {
        i = endOfJsonString(text, i);
        continue;
      }
      if (char === '{' || char === '[') depth++;
      else if (char === '}' || char === ']') depth--;
      i++;
    } while (depth > 0);
    return i;
  }
  let i = start;
  while (i < text.length && !',}] \t\n\r'.includes(text[i])) i++;
  return i;
}
