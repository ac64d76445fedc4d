import { endOfJsonString, hasUnpairedSurrogate, JsonText, scanJson } from './json-text';

const compactJson = (text: string) => scanJson(text).compact;

describe('scanJson: compaction', () => {
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

describe('scanJson', () => {
  it.each([
    ['{}', 1],
    ['{"a":[1,{"b":{}}]}', 4],
    ['{"s":"[[[{{{","a":[]}', 2],
    ['{"s":"\\\\\\"[[["}', 1],
  ])('measures the nesting of %s as %d, never inside strings', (text, depth) => {
    expect(scanJson(text).depth).toBe(depth);
  });

  it('counts a repeated key that JSON.parse dropped (the last one wins there, the text keeps both)', () => {
    const text = `{"k":${'{"k":'.repeat(40)}1${'}'.repeat(40)},"k":1}`;

    expect(JSON.parse(text)).toEqual({ k: 1 });
    expect(scanJson(text).depth).toBe(41);
  });

  it('compacts and measures in one pass', () => {
    expect(scanJson('{ "a" : [ 1 , { } ] }')).toEqual({ compact: '{"a":[1,{}]}', depth: 3 });
  });
});

describe('hasUnpairedSurrogate', () => {
  it.each([
    ['a lone high surrogate', '{"s":"\\ud800"}'],
    ['a lone low surrogate', '{"s":"\\udc00"}'],
    ['a high surrogate at the end of a string', '{"s":"a\\uD83D"}'],
    ['two high surrogates', '{"s":"\\ud83d\\ud83d"}'],
    ['a reversed pair', '{"s":"\\ude00\\ud83d"}'],
    ['one in a key', '{"\\udfff":1}'],
  ])('finds %s', (_case, text) => {
    expect(hasUnpairedSurrogate(text)).toBe(true);
  });

  it.each([
    ['a pair of escapes', '{"s":"\\ud83d\\ude00"}'],
    ['an upper-case pair', '{"s":"\\uD83D\\uDE00"}'],
    ['the character itself', '{"s":"😀"}'],
    ['other escapes', '{"s":"\\u00e9\\n\\u0000"}'],
    ['an escaped backslash before u', '{"s":"\\\\ud800"}'],
    ['no escape at all', '{"s":"plain"}'],
  ])('accepts %s', (_case, text) => {
    expect(hasUnpairedSurrogate(text)).toBe(false);
  });
});

describe('JsonText.scan', () => {
  it('stops at the end of a value followed by more text, and says where it ended (end)', () => {
    expect(JsonText.scan('{"a":1} ,{"b":2}')).toMatchObject({ compact: '{"a":1}', end: 7 });
    expect(JsonText.scan('[[1],[2]] tail')).toMatchObject({ compact: '[[1],[2]]', end: 9 });
    expect(JsonText.scan('"a\\"b" : 1')).toMatchObject({ compact: '"a\\"b"', end: 6 });
  });

  it('scans the value that starts at `start`, ending at the delimiter after a scalar', () => {
    const text = '{"a": [1, 2] , "n":-1.5e3,"t":true}';

    expect(JsonText.scan(text, 6)).toMatchObject({ compact: '[1,2]', end: 12 });
    expect(JsonText.scan(text, 19)).toMatchObject({ compact: '-1.5e3', end: 25 });
    expect(JsonText.scan(text, 30)).toMatchObject({ compact: 'true', end: 34 });
    expect(JsonText.scan('[12 ]', 1)).toMatchObject({ compact: '12', end: 3 });
    expect(JsonText.scan('[12]', 1)).toMatchObject({ compact: '12', end: 3 });
  });

  it('gives the end in the source text, past the whitespace it dropped', () => {
    const text = '{ "a" : [ 1 ] }  , 2';

    expect(JsonText.scan(text)).toMatchObject({ compact: '{"a":[1]}', end: 15 });
  });

  it('compacts tabs, CR, LF and spaces between tokens', () => {
    expect(JsonText.scan('{\t"a"\r\n:\n[ 1 ,\t2 ]\r\n,"b" :{ }}').compact).toBe('{"a":[1,2],"b":{}}');
  });

  it('keeps whitespace inside strings, keys included', () => {
    expect(JsonText.scan('{ "k y" : " a \\t b " , "z" : [ "  " ] }').compact).toBe('{"k y":" a \\t b ","z":["  "]}');
  });

  it('measures an array of scalars at depth 32 as 32: scalars add no level', () => {
    const text = `{"a":${'['.repeat(30)}[1, "x", true, null, -2.5]${']'.repeat(30)}}`;

    expect(JsonText.scan(text).depth).toBe(32);
  });

  it.each([
    ['"[{"', 0],
    ['12', 0],
    ['[]', 1],
    ['[{}]', 2],
    ['{"a":{"b":[]},"c":[]}', 3],
  ])('measures the nesting of %s as %d', (text, depth) => {
    expect(JsonText.scan(text).depth).toBe(depth);
  });

  it.each([
    ['{}', 'object'],
    ['[]', 'array'],
    ['"s"', 'string'],
    ['-1', 'number'],
    ['0.5', 'number'],
    ['true', 'boolean'],
    ['false', 'boolean'],
    ['null', 'null'],
  ])('tells the kind of %s: %s', (text, kind) => {
    expect(JsonText.scan(text).kind).toBe(kind);
  });
});

describe('JsonText.of', () => {
  it('is the text JSON.stringify gives, measured', () => {
    const value = { b: [1, { c: 'x y' }], a: null };

    expect(JsonText.of(value)).toMatchObject({
      compact: JSON.stringify(value),
      depth: 3,
      end: JSON.stringify(value).length,
      kind: 'object',
    });
  });
});
