import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import type { JsonText } from '../../domain/json-text';
import { batchPayloads, objectMembers } from './json-source';

const compactOf = (texts: Array<JsonText | undefined>): Array<string | undefined> => texts.map((text) => text?.compact);

describe('objectMembers', () => {
  it('gives each top-level member its text, compacted, in any layout', () => {
    const text =
      ' {\n "partner_id" : "acme",\n "payload" : { "b": 1, "2": [ "x", {"y": "}]"} ], "a": "\\"" } , "n": -1.5e3, "t": true, "z": null }\n';
    const members = objectMembers(text);
    expect([...members.keys()]).toEqual(['partner_id', 'payload', 'n', 't', 'z']);
    expect(members.get('partner_id')?.compact).toBe('"acme"');
    expect(members.get('payload')?.compact).toBe('{"b":1,"2":["x",{"y":"}]"}],"a":"\\""}');
    expect(members.get('n')?.compact).toBe('-1.5e3');
    expect(members.get('t')?.compact).toBe('true');
    expect(members.get('z')?.compact).toBe('null');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    for (const [key, value] of members) expect(JSON.parse(value.compact)).toEqual(parsed[key]);
  });

  it("measures each member's nesting and kind in the scan that finds its end", () => {
    const members = objectMembers('{"payload": {"a": [ {"b": "[[["} ]}, "partner_id": "acme", "n": [1]}');

    expect(members.get('payload')).toMatchObject({ compact: '{"a":[{"b":"[[["}]}', depth: 3, kind: 'object' });
    expect(members.get('partner_id')).toMatchObject({ depth: 0, kind: 'string' });
    expect(members.get('n')).toMatchObject({ depth: 1, kind: 'array' });
  });

  it('decodes escaped keys and keeps the last of a repeated key, as JSON.parse does', () => {
    const members = objectMembers('{"pay\\u006coad":{"a":1},"payload":{"b":2}}');
    expect(members.get('payload')?.compact).toBe('{"b":2}');
  });

  it('handles an empty object', () => {
    expect(objectMembers('{}').size).toBe(0);
    expect(objectMembers(' { } ').size).toBe(0);
  });

  it('refuses a text that is not an object', () => {
    expect(() => objectMembers('[1]')).toThrow(SyntaxError);
  });
});

describe('batchPayloads', () => {
  it('gives each record its payload text, compacted, by index, in one walk of the body', () => {
    const text =
      '{ "records" : [ {"partner_id":"a","payload":{ "2": 1, "b": "]}" }}, 5, {"payload":[1,{"x":"\\""}], "partner_id":"b"}, {"partner_id":"c"} ], "other": {"payload": {}} }';
    expect(compactOf(batchPayloads(text))).toEqual(['{"2":1,"b":"]}"}', undefined, '[1,{"x":"\\""}]', undefined]);
  });

  it('keeps the key order the partner wrote, integer-like keys included, where the parsed object does not', () => {
    const text =
      '{"records": [\n  {"partner_id": "acme", "payload": {"b": 1, "2": "two", "a": {"10": 0, "1": 1}}},\n  {"partner_id": "acme", "payload": {"z": [{"9": 9, "x": 0}]}}\n]}';

    expect(compactOf(batchPayloads(text))).toEqual(['{"b":1,"2":"two","a":{"10":0,"1":1}}', '{"z":[{"9":9,"x":0}]}']);
    const parsed = (JSON.parse(text) as { records: Array<{ payload: unknown }> }).records;
    expect(JSON.stringify(parsed[0].payload)).toBe('{"2":"two","b":1,"a":{"1":1,"10":0}}');
  });

  it('stores that key order through the factory', () => {
    const body = '{"records":[{"partner_id":"acme","payload":{ "b": 1, "2": "two" }}]}';

    const [record] = new IngestedDataFactory().createBatch(
      (JSON.parse(body) as { records: unknown[] }).records,
      batchPayloads(body),
    );

    expect(record.payload.json).toBe('{"b":1,"2":"two"}');
  });

  it('finds the records member wherever it stands, and each record after strings holding brackets and quotes', () => {
    const text =
      '{ "note": "records: [ { ] }", "records" : [ {"partner_id":"a]c\\"me","payload":{"s":"}],{\\"["}} , {"partner_id":"acme","payload":{"k":"v"}} ] }';

    expect(compactOf(batchPayloads(text))).toEqual(['{"s":"}],{\\"["}', '{"k":"v"}']);
  });

  it('keeps the whitespace inside strings and drops it between tokens', () => {
    const text = '{"records":[{"payload":{\t"s" :\r\n"a  b\\t c" ,"n": [ 1 ,\n2 ]}}]}';

    expect(compactOf(batchPayloads(text))).toEqual(['{"s":"a  b\\t c","n":[1,2]}']);
  });

  it('gives nothing when there are no records', () => {
    expect(batchPayloads('{"records":[]}')).toEqual([]);
    expect(batchPayloads('{"records":"none"}')).toEqual([]);
  });

  it('reads only the top-level records member, wherever it stands, not one nested in another member or a payload', () => {
    const text =
      '{"meta":{"records":[{"payload":{"wrong":1}}]},"records":[{"payload":{"records":[{"payload":{"inner":1}}]},"partner_id":"a"}],"tail":[{"records":[]}]}';

    expect(compactOf(batchPayloads(text))).toEqual(['{"records":[{"payload":{"inner":1}}]}']);
  });

  it('follows JSON.parse on repeated members: the last records array, the last payload of a record', () => {
    const text =
      '{"records":[{"payload":{"first":1}},{"payload":{"first":2}}],"records":[{"partner_id":"a"},{"payload":{"a":1},"payload":{"b":2}}]}';
    const parsed = (JSON.parse(text) as { records: Array<{ payload?: unknown }> }).records;

    const payloads = batchPayloads(text);

    expect(compactOf(payloads.slice(0, parsed.length))).toEqual([undefined, '{"b":2}']);
    parsed.forEach((record, index) =>
      expect(payloads[index] === undefined ? undefined : JSON.parse(payloads[index].compact)).toEqual(record.payload),
    );
  });

  it('decodes escaped member names, as JSON.parse does', () => {
    expect(compactOf(batchPayloads('{"rec\\u006frds":[{"pay\\u006coad":{"z":0,"1":1}}]}'))).toEqual(['{"z":0,"1":1}']);
  });

  it('gives any payload value its text, even one the factory will refuse', () => {
    const payloads = batchPayloads('{"records":[{"payload":"text"},{"payload":null},{"payload":[ 1 ]},[],{}]}');

    expect(compactOf(payloads)).toEqual(['"text"', 'null', '[1]', undefined, undefined]);
    expect(payloads.map((payload) => payload?.kind)).toEqual(['string', 'null', 'array', undefined, undefined]);
  });
});
