import { endOfJsonString, JsonText, skipWhitespace } from '../../domain/json-text';

/**
 * The source text of a body's values, read from a text JSON.parse accepted, in one pass: the
 * scan that finds where a value ends is the one that compacts it.
 */

/** Each member of the object the body is, by key (the last of a repeated key, as JSON.parse). */
export function objectMembers(body: string): Map<string, JsonText> {
  const members = new Map<string, JsonText>();
  walkObject(body, skipWhitespace(body, 0), (key, valueStart) => {
    const value = JsonText.scan(body, valueStart);
    members.set(key, value);
    return value.end;
  });
  return members;
}

/** For `{"records": [{"payload": …}, …]}`: each record's payload, by index (undefined where it has none). */
export function batchPayloads(body: string): Array<JsonText | undefined> {
  const payloads: Array<JsonText | undefined> = [];
  walkObject(body, skipWhitespace(body, 0), (key, valueStart) => {
    if (key !== 'records' || body[valueStart] !== '[') return JsonText.scan(body, valueStart).end;
    payloads.length = 0;
    return walkArray(body, valueStart, (elementStart, index) => {
      payloads[index] = undefined;
      if (body[elementStart] !== '{') return JsonText.scan(body, elementStart).end;
      return walkObject(body, elementStart, (member, memberStart) => {
        const value = JsonText.scan(body, memberStart);
        if (member === 'payload') payloads[index] = value;
        return value.end;
      });
    });
  });
  return payloads;
}

/** `visit` returns where the member's value ends; the result is the index past `}`. */
function walkObject(text: string, start: number, visit: (key: string, valueStart: number) => number): number {
  let i = skipWhitespace(text, start + 1);
  while (text[i] !== '}') {
    const keyEnd = endOfJsonString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1);
    i = skipWhitespace(text, visit(key, valueStart));
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
  }
  return i + 1;
}

function walkArray(text: string, start: number, visit: (elementStart: number, index: number) => number): number {
  let i = skipWhitespace(text, start + 1);
  for (let index = 0; text[i] !== ']'; index++) {
    i = skipWhitespace(text, visit(i, index));
    if (text[i] === ',') i = skipWhitespace(text, i + 1);
  }
  return i + 1;
}
