import { get, ingestRaw, JSON_CONTENT_TYPE, Receipt } from './support/http';
import { readRow } from './support/database';
import { useTestApp } from './support/test-app';

/**
 * The contract: a payload is stored and returned byte-for-byte equivalent as JSON (same keys,
 * values, key order, unicode), `constructor` and `__proto__` included, and no key may alter
 * the server's objects. Payloads here are sent as raw text, in the compact form that
 * JSON.stringify produces, so the text read back can be compared character for character.
 */
describe('payload round trip', () => {
  const context = useTestApp();

  /** Posts `{"partner_id":"acme","payload":<payloadText>}` and returns the receipt and the GET response text. */
  async function roundTrip(payloadText: string): Promise<{ receipt: Receipt; text: string }> {
    const created = await ingestRaw(context.app, `{"partner_id":"acme","payload":${payloadText}}`);
    expect(created.statusCode).toBe(201);
    const receipt = created.json<Receipt>();
    const read = await get(context.app, `/ingest/${receipt.id}`);
    expect(read.statusCode).toBe(200);
    expect(read.headers['content-type']).toMatch(JSON_CONTENT_TYPE);
    return { receipt, text: read.body };
  }

  function expectedText(receipt: Receipt, payloadText: string): string {
    return `{"id":"${receipt.id}","partner_id":"${receipt.partner_id}","timestamp":"${receipt.timestamp}","payload":${payloadText}}`;
  }

  it('returns unicode exactly: emoji, CJK, RTL, combining characters and a NUL inside a string', async () => {
    const payloadText =
      '{"emoji":"😀👍🏽👨‍👩‍👧","cjk":"漢字かなカナ한국어","rtl":"مرحبا שלום",' +
      '"combining":"e\u0301 a\u0308 n\u0303","nul":"before\\u0000after","escapes":"\\"\\\\\\n\\t\\r\\b\\f",' +
      '"control":"\\u001f","pair":"\\ud83d\\ude00"}';
    const { receipt, text } = await roundTrip(payloadText);

    expect(text).toBe(expectedText(receipt, payloadText));
    const payload = (JSON.parse(text) as { payload: Record<string, string> }).payload;
    expect(payload.nul).toBe('before\u0000after');
    expect(payload.nul).toHaveLength(12);
    expect(payload.combining).toBe('e\u0301 a\u0308 n\u0303');
    expect(payload.combining.normalize('NFC')).not.toBe(payload.combining);
    expect(payload.emoji).toBe('😀👍🏽👨‍👩‍👧');
  });

  it('keeps the key order of every object, at every level', async () => {
    const payloadText =
      '{"zebra":1,"apple":{"z":true,"a":false,"m":null},"mango":[{"y":1,"b":2}],"banana":"",' +
      '"Zulu":0,"_under":1,"$dollar":2,"with space":3,"":4}';
    const { receipt, text } = await roundTrip(payloadText);

    expect(text).toBe(expectedText(receipt, payloadText));
  });

  it('keeps the key order when keys look like array indices', async () => {
    const payloadText = '{"b":1,"2":"two","a":3,"1":"one","10":"ten"}';
    const { receipt, text } = await roundTrip(payloadText);

    expect(text).toBe(expectedText(receipt, payloadText));
  });

  it('keeps "__proto__" and "constructor" keys as data and does not pollute Object.prototype', async () => {
    const payloadText =
      '{"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},' +
      '"nested":{"__proto__":{"polluted":"yes"},"toString":"not a function","hasOwnProperty":1}}';
    const { receipt, text } = await roundTrip(payloadText);

    expect(text).toBe(expectedText(receipt, payloadText));
    const probe: Record<string, unknown> = {};
    expect(probe.polluted).toBeUndefined();
    expect(probe.isAdmin).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(typeof probe.toString).toBe('function');
    expect((await readRow(context.database, receipt.id))!.payload).toBe(payloadText);
  });

  it('still serves ordinary requests after a "__proto__" payload', async () => {
    await roundTrip('{"__proto__":{"status":500,"statusCode":500,"headers":{"x":"y"}}}');
    const created = await ingestRaw(context.app, '{"partner_id":"acme","payload":{"after":"proto"}}');
    expect(created.statusCode).toBe(201);
    const read = await get(context.app, `/ingest/${created.json<Receipt>().id}`);
    expect(read.statusCode).toBe(200);
    expect(read.json<{ payload: unknown }>().payload).toEqual({ after: 'proto' });
  });

  it('returns numbers with their values: 1e300, -0.5, the largest safe integers, tiny and huge doubles', async () => {
    const payloadText =
      '{"huge":1e300,"negativeHalf":-0.5,"maxSafe":9007199254740991,"minSafe":-9007199254740991,' +
      '"bigWithinDouble":18014398509481984,"maxDouble":1.7976931348623157e308,"minPositive":5e-324,' +
      '"fraction":0.1,"zero":0,"exponent":-2.5E-10}';
    const { text } = await roundTrip(payloadText);

    const payload = (JSON.parse(text) as { payload: Record<string, number> }).payload;
    expect(payload).toEqual({
      huge: 1e300,
      negativeHalf: -0.5,
      maxSafe: Number.MAX_SAFE_INTEGER,
      minSafe: Number.MIN_SAFE_INTEGER,
      bigWithinDouble: 18014398509481984,
      maxDouble: Number.MAX_VALUE,
      minPositive: Number.MIN_VALUE,
      fraction: 0.1,
      zero: 0,
      exponent: -2.5e-10,
    });
    expect(Object.keys(payload)).toEqual(Object.keys(JSON.parse(payloadText) as object));
  });

  it('returns every JSON value type: strings, booleans, null, arrays, empty containers', async () => {
    const payloadText = '{"s":"text","t":true,"f":false,"n":null,"list":[1,"two",null,[],{}],"empty":{},"none":[]}';
    const { receipt, text } = await roundTrip(payloadText);

    expect(text).toBe(expectedText(receipt, payloadText));
  });

  it('returns a payload sent with insignificant whitespace as the same JSON, keys in order', async () => {
    const created = await ingestRaw(
      context.app,
      '{ "partner_id" : "acme",\n  "payload" : {\n    "b" : [ 1 , 2 ],\n "a" : { "y" : "x y" , "x" : null } } }',
    );
    expect(created.statusCode).toBe(201);
    const read = await get(context.app, `/ingest/${created.json<Receipt>().id}`);

    const payload = read.json<{ payload: { b: number[]; a: Record<string, unknown> } }>().payload;
    expect(payload).toEqual({ b: [1, 2], a: { y: 'x y', x: null } });
    expect(Object.keys(payload)).toEqual(['b', 'a']);
    expect(Object.keys(payload.a)).toEqual(['y', 'x']);
  });
});
