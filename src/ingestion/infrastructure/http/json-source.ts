import { endOfJsonString } from '../../domain/json-text';

/**
 * Source-text views of a JSON document that JSON.parse has already accepted. They let a
 * payload keep the partner's key order, which a parsed object cannot: JavaScript puts
 * integer-like keys ("2", "10") before all others. Each walk reads every character once.
 */

/** The source text of each member of the object that `text` consists of, by key (the last of a repeated key, as JSON.parse). */
export function objectMemberSources(text: string): Map<string, string> {
  const members = new Map<string, string>();
  walkObject(text, skipWhitespace(text, 0), (key, valueStart) => {
    const valueEnd = endOfValue(text, valueStart);
    members.set(key, text.slice(valueStart, valueEnd));
    return valueEnd;
  });
  return members;
}

/**
 * For a batch body `{"records": [{"payload": …}, …]}`: the source text of each record's
 * payload, by record index (undefined where a record is not an object or has no payload).
 */
export function batchPayloadSources(text: string): Array<string | undefined> {
  const payloads: Array<string | undefined> = [];
  walkObject(text, skipWhitespace(text, 0), (key, valueStart) => {
    if (key !== 'records' || text[valueStart] !== '[') return endOfValue(text, valueStart);
    return walkArray(text, valueStart, (elementStart, index) => {
      payloads[index] = undefined;
      if (text[elementStart] !== '{') return endOfValue(text, elementStart);
      return walkObject(text, elementStart, (member, memberStart) => {
        const memberEnd = endOfValue(text, memberStart);
        if (member === 'payload') payloads[index] = text.slice(memberStart, memberEnd);
        return memberEnd;
      });
    });
  });
  return payloads;
}

/** Calls `visit` for each member of the object opening at `start`; `visit` returns where the value ends. Returns the index past `}`. */
function walkObject(text: string, start: number, visit: (key: string, valueStart: number) => number): number {
  if (text[start] !== '{') throw new SyntaxError('The JSON text is not an object.');
  let i = skipWhitespace(text, start + 1);
  while (text[i] !== '}') {
    const keyEnd = endOfJsonString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1); // past the ':'
    i = skipWhitespace(text, visit(key, valueStart));
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
  }
  return i + 1;
}

/** Calls `visit` for each element of the array opening at `start`; `visit` returns where the element ends. Returns the index past `]`. */
function walkArray(text: string, start: number, visit: (elementStart: number, index: number) => number): number {
  if (text[start] !== '[') throw new SyntaxError('The JSON text is not an array.');
  let i = skipWhitespace(text, start + 1);
  for (let index = 0; text[i] !== ']'; index++) {
    i = skipWhitespace(text, visit(i, index));
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
  }
  return i + 1;
}

function skipWhitespace(text: string, i: number): number {
  for (let char = text.charCodeAt(i); char === 0x20 || char === 0x0a || char === 0x0d || char === 0x09;) {
    char = text.charCodeAt(++i);
  }
  return i;
}

function endOfValue(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first === 0x22 /* " */) return endOfJsonString(text, start);
  if (first === 0x7b /* { */ || first === 0x5b /* [ */) {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
      const char = text.charCodeAt(i);
      if (char === 0x22) i = endOfJsonString(text, i) - 1;
      else if (char === 0x7b || char === 0x5b) depth++;
      else if ((char === 0x7d || char === 0x5d) && --depth === 0) return i + 1;
    }
    throw new SyntaxError('Unterminated container in JSON text.');
  }
  let i = start;
  while (i < text.length && !',}] \t\n\r'.includes(text[i])) i++;
  return i;
}
