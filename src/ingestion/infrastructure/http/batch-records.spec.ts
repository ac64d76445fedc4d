import { IngestedDataFactory } from '../../domain/ingested-data.factory';
import { InvalidBatchError } from '../../domain/ingestion.errors';
import { batchRecordsFrom, BatchRecords } from './batch-records';

/** What the controller hands over: the records as the JSON body parser made them, and the text they came from. */
function fromBody(rawBody: string, maxRecords = 1000): BatchRecords {
  return batchRecordsFrom((JSON.parse(rawBody) as { records: unknown[] }).records, rawBody, maxRecords);
}

describe('batchRecordsFrom', () => {
  it('gives each record its partner, its payload and the payload text, in request order', () => {
    const batch = fromBody(
      '{"records":[{"partner_id":"acme","payload":{"n":0}},{"payload":{"n":1},"partner_id":"globex"}]}',
    );

    expect(batch).toEqual({
      records: [
        { partnerId: 'acme', payload: { n: 0 }, payloadText: '{"n":0}' },
        { partnerId: 'globex', payload: { n: 1 }, payloadText: '{"n":1}' },
      ],
      errors: [],
    });
  });

  it('keeps the key order the partner wrote, integer-like keys included', () => {
    const batch = fromBody(
      '{"records": [\n  {"partner_id": "acme", "payload": {"b": 1, "2": "two", "a": {"10": 0, "1": 1}}},\n  {"partner_id": "acme", "payload": {"z": [{"9": 9, "x": 0}]}}\n]}',
    );

    const [first, second] = batch.records;
    expect(first?.payloadText).toBe('{"b": 1, "2": "two", "a": {"10": 0, "1": 1}}');
    expect(second?.payloadText).toBe('{"z": [{"9": 9, "x": 0}]}');
    // What the parsed object alone would give: integer-like keys first.
    expect(JSON.stringify(first?.payload)).toBe('{"2":"two","b":1,"a":{"1":1,"10":0}}');
  });

  it('stores that key order through the factory', () => {
    const batch = fromBody('{"records":[{"partner_id":"acme","payload":{ "b": 1, "2": "two" }}]}');

    const [record] = new IngestedDataFactory().createBatch(batch.records, batch.errors);

    expect(record.payload.json).toBe('{"b":1,"2":"two"}');
  });

  it('finds the records member wherever it stands, and each record after strings holding brackets and quotes', () => {
    const batch = fromBody(
      '{ "note": "records: [ { ] }", "records" : [ {"partner_id":"a]c\\"me","payload":{"s":"}],{\\"["}} , {"partner_id":"acme","payload":{"k":"v"}} ] }',
    );

    expect(batch.records.map((record) => record?.payloadText)).toEqual(['{"s":"}],{\\"["}', '{"k":"v"}']);
    expect(batch.errors).toEqual([]);
  });

  it('leaves the values to the factory: null, a string or a missing field is no shape error', () => {
    const batch = fromBody('{"records":[{"partner_id":null,"payload":"text"},{"payload":{}},{"partner_id":"acme"}]}');

    expect(batch.errors).toEqual([]);
    expect(batch.records).toEqual([
      { partnerId: null, payload: 'text', payloadText: '"text"' },
      { partnerId: undefined, payload: {}, payloadText: '{}' },
      { partnerId: 'acme', payload: undefined, payloadText: undefined },
    ]);
  });

  it.each([
    ['a string', '"acme"'],
    ['a number', '42'],
    ['null', 'null'],
    ['an array', '[{"partner_id":"acme","payload":{}}]'],
  ])('reports a record that is %s by its index, and gives no input for it', (_case, record) => {
    const batch = fromBody(`{"records":[{"partner_id":"acme","payload":{}},${record}]}`);

    expect(batch.errors).toEqual([{ field: 'records[1]', message: 'each record must be a JSON object' }]);
    expect(batch.records).toEqual([{ partnerId: 'acme', payload: {}, payloadText: '{}' }, null]);
  });

  it('reports an unknown field of a record, naming the record and the field', () => {
    const batch = fromBody(
      '{"records":[{"partner_id":"acme","payload":{}},{"partner_id":"acme","payload":{},"extra":1}]}',
    );

    expect(batch.errors).toEqual([{ field: 'records[1].extra', message: 'extra is not a known field' }]);
  });

  it.each(['__proto__', 'constructor', 'toString'])('treats a field named %s as unknown', (key) => {
    const batch = fromBody(`{"records":[{"partner_id":"acme","payload":{},"${key}":{}}]}`);

    expect(batch.errors).toEqual([{ field: `records[0].${key}`, message: `${key} is not a known field` }]);
  });

  it('reports every shape problem of every record at once', () => {
    const batch = fromBody(
      '{"records":[{"partner_id":"acme","payload":{}},7,{"partner_id":"acme","payload":{},"id":"x","ts":1},"s"]}',
    );

    expect(batch.errors.map((problem) => problem.field)).toEqual([
      'records[1]',
      'records[2].id',
      'records[2].ts',
      'records[3]',
    ]);
    expect(batch.records.map((record) => record === null)).toEqual([false, true, false, true]);
  });

  it.each([
    ['no records', '{"records": [ ]}', 'not 0'],
    ['more records than the limit', '{"records": [{"partner_id":"acme","payload":{}},7,"x"]}', 'not 3'],
  ])('refuses a batch of %s by its size alone', (_case, body, count) => {
    expect(() => fromBody(body, 2)).toThrow(InvalidBatchError);
    expect(() => fromBody(body, 2)).toThrow(
      expect.objectContaining({
        errors: [{ field: 'records', message: expect.stringContaining(count) as unknown as string }],
      }),
    );
  });

  it('counts the records before any per-record work: 2,000,000 elements are refused at once', () => {
    const records = new Array<unknown>(2_000_000).fill(0);
    // Not the body these records came from: walking it would throw a SyntaxError instead.
    expect(() => batchRecordsFrom(records, '', 1000)).toThrow(InvalidBatchError);
  });

  it('lets the factory name missing and invalid fields with the shape problems, in record order', () => {
    const batch = fromBody(
      '{"records":[{"partner_id":"acme","payload":{}},{"partner_id":"acme","payload":{},"extra":1},{"payload":{}},"x",{"partner_id":"acme"}]}',
    );

    let thrown: unknown;
    try {
      new IngestedDataFactory().createBatch(batch.records, batch.errors);
    } catch (error) {
      thrown = error;
    }

    expect(thrown).toBeInstanceOf(InvalidBatchError);
    expect((thrown as InvalidBatchError).errors.map((problem) => problem.field)).toEqual([
      'records[1].extra',
      'records[2].partner_id',
      'records[3]',
      'records[4].payload',
    ]);
  });
});
