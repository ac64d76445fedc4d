import { compactJson, endOfJsonString } from './json-text';

describe('compactJson', () => {
  it('returns compact text unchanged', () => {
    const text = '{"b":1,"2":"two","a":[1,2,{"x":null}]}';
    expect(compactJson(text)).toBe(text);
  });

  it('removes whitespace between tokens only, never inside strings', () => {
    const text = '{ "b" : 1 ,\n\t"2": "t w o",\r\n "a": [ 1 , "x\\" y" ] }';
    expect(compactJson(text)).toBe('{"b":1,"2":"t w o","a":[1,"x\\" y"]}');
    expect(JSON.parse(compactJson(text))).toEqual(JSON.parse(text));
  });

  it('keeps numbers and escapes exactly as written', () => {
    expect(compactJson('{ "n": 1e300, "m": -0.50, "s": "\\u00e9\\n" }')).toBe('{"n":1e300,"m":-0.50,"s":"\\u00e9\\n"}');
  });

  it('handles strings ending in escaped backslashes', () => {
    const text = '{ "a": "back\\\\", "b": 2 }';
    expect(compactJson(text)).toBe('{"a":"back\\\\","b":2}');
  });
});

describe('endOfJsonString', () => {
  it('finds the closing quote past escaped ones', () => {
    const text = '"a\\"b\\\\" rest';
    expect(text.slice(0, endOfJsonString(text, 0))).toBe('"a\\"b\\\\"');
  });

  it('refuses an unterminated string', () => {
    expect(() => endOfJsonString('"abc', 0)).toThrow(SyntaxError);
  });
});
