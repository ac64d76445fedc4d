import { objectMemberSources } from './json-source';

describe('objectMemberSources', () => {
  it('gives each top-level member its source text, in any layout', () => {
    const text =
      ' {\n "partner_id" : "acme",\n "payload" : { "b": 1, "2": [ "x", {"y": "}]"} ], "a": "\\"" } , "n": -1.5e3, "t": true, "z": null }\n';
    const members = objectMemberSources(text);
    expect([...members.keys()]).toEqual(['partner_id', 'payload', 'n', 't', 'z']);
    expect(members.get('partner_id')).toBe('"acme"');
    expect(members.get('payload')).toBe('{ "b": 1, "2": [ "x", {"y": "}]"} ], "a": "\\"" }');
    expect(members.get('n')).toBe('-1.5e3');
    expect(members.get('t')).toBe('true');
    expect(members.get('z')).toBe('null');
    for (const value of members.values()) expect(() => JSON.parse(value)).not.toThrow();
  });

  it('decodes escaped keys and keeps the last of a repeated key, as JSON.parse does', () => {
    const members = objectMemberSources('{"pay\\u006coad":{"a":1},"payload":{"b":2}}');
    expect(members.get('payload')).toBe('{"b":2}');
  });

  it('handles an empty object', () => {
    expect(objectMemberSources('{}').size).toBe(0);
    expect(objectMemberSources(' { } ').size).toBe(0);
  });

  it('refuses a text that is not an object', () => {
    expect(() => objectMemberSources('[1]')).toThrow(SyntaxError);
  });
});
