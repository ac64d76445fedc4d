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

/** Where the scan of a container jumps next: a string or a bracket (found by the regex engine, not char by char). */
const STRUCTURAL = /["{}[\]]/g;

function endOfValue(text: string, start: number): number {
  const first = text[start];
  if (first === '"') return endOfJsonString(text, start);
  if (first === '{' || first === '[') {
    let depth = 0;
    STRUCTURAL.lastIndex = start;
    for (let match = STRUCTURAL.exec(text); match !== null; match = STRUCTURAL.exec(text)) {
      const char = match[0];
      if (char === '"') {
        STRUCTURAL.lastIndex = endOfJsonString(text, match.index);
      } else if (char === '{' || char === '[') {
        depth++;
      } else if (--depth === 0) {
        return match.index + 1;
      }
    }
    throw new SyntaxError('Unterminated container in JSON text.');
  }
  let i = start;
  while (i < text.length && !',}] \t\n\r'.includes(text[i])) i++;
  return i;
}

/** The source text of each element of the array that `text` (valid JSON) consists of. */
export function arrayElementSources(text: string): string[] {
  const elements: string[] = [];
  let i = skipWhitespace(text, 0);
  if (text[i] !== '[') throw new SyntaxError('The JSON text is not an array.');
  i = skipWhitespace(text, i + 1);
  while (text[i] !== ']') {
    const end = endOfValue(text, i);
    elements.push(text.slice(i, end));
    i = skipWhitespace(text, end);
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
  }
  return elements;
}
