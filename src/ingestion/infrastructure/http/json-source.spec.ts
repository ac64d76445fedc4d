import { batchPayloadSources, objectMemberSources } from './json-source';

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

describe('batchPayloadSources', () => {
  it('gives each record its payload text, by index, in one walk of the body', () => {
    const text =
      '{ "records" : [ {"partner_id":"a","payload":{ "2": 1, "b": "]}" }}, 5, {"payload":[1,{"x":"\\""}], "partner_id":"b"}, {"partner_id":"c"} ], "other": {"payload": {}} }';
    expect(batchPayloadSources(text)).toEqual(['{ "2": 1, "b": "]}" }', undefined, '[1,{"x":"\\""}]', undefined]);
  });

  it('gives nothing when there are no records', () => {
    expect(batchPayloadSources('{"records":[]}')).toEqual([]);
    expect(batchPayloadSources('{"records":"none"}')).toEqual([]);
  });

  it('reads only the top-level records member, wherever it stands, not one nested in another member or a payload', () => {
    const text =
      '{"meta":{"records":[{"payload":{"wrong":1}}]},"records":[{"payload":{"records":[{"payload":{"inner":1}}]},"partner_id":"a"}],"tail":[{"records":[]}]}';

    expect(batchPayloadSources(text)).toEqual(['{"records":[{"payload":{"inner":1}}]}']);
  });

  it('follows JSON.parse on repeated members: the last records array, the last payload of a record', () => {
    const text =
      '{"records":[{"payload":{"first":1}},{"payload":{"first":2}}],"records":[{"partner_id":"a"},{"payload":{"a":1},"payload":{"b":2}}]}';
    const parsed = (JSON.parse(text) as { records: Array<{ payload?: unknown }> }).records;

    const payloads = batchPayloadSources(text);

    expect(payloads.slice(0, parsed.length)).toEqual([undefined, '{"b":2}']);
    parsed.forEach((record, index) =>
      expect(payloads[index] === undefined ? undefined : JSON.parse(payloads[index]!)).toEqual(record.payload),
    );
  });

  it('decodes escaped member names, as JSON.parse does', () => {
    expect(batchPayloadSources('{"rec\\u006frds":[{"pay\\u006coad":{"z":0,"1":1}}]}')).toEqual(['{"z":0,"1":1}']);
  });

  it('gives any payload value its text, even one the factory will refuse', () => {
    expect(batchPayloadSources('{"records":[{"payload":"text"},{"payload":null},{"payload":[ 1 ]},[],{}]}')).toEqual([
      '"text"',
      'null',
      '[ 1 ]',
      undefined,
      undefined,
    ]);
  });
});
