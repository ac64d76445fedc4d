import { batchRecordsFrom } from './batch-records';
import { RequestValidationError } from './request-validation.error';

/** The records as the JSON body parser hands them over, with the text they came from. */
function parse(rawBody: string): [unknown[], string] {
  return [(JSON.parse(rawBody) as { records: unknown[] }).records, rawBody];
}

function validationErrorOf(rawBody: string): RequestValidationError {
  try {
    batchRecordsFrom(...parse(rawBody));
  } catch (error) {
    if (error instanceof RequestValidationError) return error;
    throw error;
  }
  throw new Error('expected a RequestValidationError, but nothing was thrown');
}

describe('batchRecordsFrom', () => {
  it('gives each record its partner, its payload and the payload text, in request order', () => {
    const rawBody =
      '{"records":[{"partner_id":"acme","payload":{"n":0}},{"payload":{"n":1},"partner_id":"globex"}]}';

    expect(batchRecordsFrom(...parse(rawBody))).toEqual([
      { partnerId: 'acme', payload: { n: 0 }, payloadText: '{"n":0}' },
      { partnerId: 'globex', payload: { n: 1 }, payloadText: '{"n":1}' },
    ]);
  });

  it('keeps the key order the partner wrote, integer-like keys included', () => {
    const rawBody =
      '{"records": [\n  {"partner_id": "acme", "payload": {"b": 1, "2": "two", "a": {"10": 0, "1": 1}}},\n  {"partner_id": "acme", "payload": {"z": [{"9": 9, "x": 0}]}}\n]}';

    const [first, second] = batchRecordsFrom(...parse(rawBody));

    expect(first.payloadText).toBe('{"b": 1, "2": "two", "a": {"10": 0, "1": 1}}');
    expect(second.payloadText).toBe('{"z": [{"9": 9, "x": 0}]}');
    // What the parsed object alone would give: integer-like keys first.
    expect(JSON.stringify(first.payload)).toBe('{"2":"two","b":1,"a":{"1":1,"10":0}}');
  });

  it('finds the records member wherever it stands in the body, and each record after tricky strings', () => {
    const rawBody =
      '{ "note": "records: [ { ] }", "records" : [ {"partner_id":"a]c\\"me","payload":{"s":"}],{"}} , {"partner_id":"acme","payload":{"k":"v"}} ] }';
    const records = (JSON.parse(rawBody) as { records: unknown[] }).records;

    const inputs = batchRecordsFrom(records, rawBody);

    expect(inputs.map((input) => input.payloadText)).toEqual(['{"s":"}],{"}', '{"k":"v"}']);
  });

  it('leaves the values to the factory: a present partner_id or payload of any type passes', () => {
    const inputs = batchRecordsFrom(...parse('{"records":[{"partner_id":null,"payload":"text"}]}'));

    expect(inputs).toEqual([{ partnerId: null, payload: 'text', payloadText: '"text"' }]);
  });

  it.each([
    ['a string', '"acme"'],
    ['a number', '42'],
    ['null', 'null'],
    ['an array', '[{"partner_id":"acme","payload":{}}]'],
  ])('rejects a record that is %s, naming it', (_case, record) => {
    const error = validationErrorOf(`{"records":[{"partner_id":"acme","payload":{}},${record}]}`);

    expect(error.errors).toEqual([{ field: 'records[1]', message: 'each record must be a JSON object' }]);
    expect(error.message).toBe('The batch is not valid; nothing was stored.');
  });

  it('rejects an unknown field of a record, naming the record and the field', () => {
    const error = validationErrorOf('{"records":[{"partner_id":"acme","payload":{},"extra":1}]}');

    expect(error.errors).toEqual([{ field: 'records[0].extra', message: 'extra is not a known field' }]);
  });

  it.each(['__proto__', 'constructor', 'toString'])('treats a field named %s as unknown', (key) => {
    const error = validationErrorOf(`{"records":[{"partner_id":"acme","payload":{},"${key}":{}}]}`);

    expect(error.errors).toEqual([{ field: `records[0].${key}`, message: `${key} is not a known field` }]);
  });

  it.each([
    ['partner_id', '{"payload":{}}'],
    ['payload', '{"partner_id":"acme"}'],
  ])('rejects a record without %s, naming the missing field', (field, record) => {
    const error = validationErrorOf(`{"records":[{"partner_id":"acme","payload":{}},{"partner_id":"acme","payload":{}},${record}]}`);

    expect(error.errors).toEqual([{ field: `records[2].${field}`, message: `${field} is required` }]);
  });

  it('reports every problem of every record at once', () => {
    const error = validationErrorOf(
      '{"records":[{"partner_id":"acme","payload":{}},{},7,{"partner_id":"acme","payload":{},"id":"x"}]}',
    );

    expect(error.errors.map((problem) => problem.field)).toEqual([
      'records[1].partner_id',
      'records[1].payload',
      'records[2]',
      'records[3].id',
    ]);
  });

  it('answers no records for an empty batch (the factory rejects its size)', () => {
    expect(batchRecordsFrom(...parse('{"records": [ ]}'))).toEqual([]);
  });
});
