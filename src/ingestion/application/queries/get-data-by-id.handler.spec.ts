import { InMemoryRecordReadModel } from '../../../../test/fakes/in-memory-record.read-model';
import { IngestedDataMother } from '../../../../test/mothers/ingested-data.mother';
import { JsonObject } from '../../domain/payload.value-object';
import { DataNotFoundError } from '../../domain/ingestion.errors';
import { GetDataByIdHandler } from './get-data-by-id.handler';
import { GetDataByIdQuery } from './get-data-by-id.query';
import { Principal } from '../../../access/domain/principal.value-object';
import { PrincipalMother } from '../../../../test/mothers/principal.mother';

describe('GetDataByIdHandler', () => {
  let readModel: InMemoryRecordReadModel;
  let handler: GetDataByIdHandler;

  beforeEach(() => {
    readModel = new InMemoryRecordReadModel();
    handler = new GetDataByIdHandler(readModel);
  });

  it('returns the record with its payload as the stored JSON text', async () => {
    const payload = { b: 2, a: [1, { z: null }], city: 'Zürich' };
    const data = IngestedDataMother.ingested({ partnerId: 'acme', payload, timestamp: '2026-11-29T10:31:05.123Z' });
    readModel.add(IngestedDataMother.ingested({ partnerId: 'globex' }));
    readModel.add(data);

    const view = await handler.execute(new GetDataByIdQuery(Principal.open(), data.id.value));

    expect(view).toEqual({
      id: data.id.value,
      partnerId: 'acme',
      timestamp: '2026-11-29T10:31:05.123Z',
      payloadJson: '{"b":2,"a":[1,{"z":null}],"city":"Zürich"}',
    });
    expect(JSON.parse(view.payloadJson)).toEqual(payload);
  });

  it('returns keys such as constructor and __proto__ exactly as they were stored', async () => {
    const text = '{"constructor":"c","__proto__":{"polluted":true},"z":1}';
    const data = IngestedDataMother.ingested({ payload: JSON.parse(text) as JsonObject });
    readModel.add(data);

    const view = await handler.execute(new GetDataByIdQuery(Principal.open(), data.id.value));

    expect(view.payloadJson).toBe(text);
  });

  it('raises DataNotFoundError for an unknown id', async () => {
    readModel.add(IngestedDataMother.ingested());
    const unknown = IngestedDataMother.ingested().id.value;

    await expect(handler.execute(new GetDataByIdQuery(Principal.open(), unknown))).rejects.toBeInstanceOf(
      DataNotFoundError,
    );
    await expect(handler.execute(new GetDataByIdQuery(Principal.open(), unknown))).rejects.toMatchObject({
      code: 'data-not-found',
      message: expect.stringContaining(unknown),
    });
  });

  it.each([
    ['a word', 'not-a-uuid'],
    ['an empty string', ''],
    ['a version 4 UUID', '3b241101-e2bb-4255-8caf-4136c566a962'],
    ['a path traversal', '../../etc/passwd'],
    ['SQL', "' OR 1=1 --"],
  ])('raises DataNotFoundError for %s, without asking the read model', async (_case, id) => {
    const findById = jest.spyOn(readModel, 'findById');

    await expect(handler.execute(new GetDataByIdQuery(Principal.open(), id))).rejects.toBeInstanceOf(DataNotFoundError);
    expect(findById).not.toHaveBeenCalled();
  });

  it('finds a record by the upper-case spelling of its id (UUIDs are case-insensitive on input)', async () => {
    const data = IngestedDataMother.ingested();
    readModel.add(data);

    const view = await handler.execute(new GetDataByIdQuery(Principal.open(), data.id.value.toUpperCase()));

    expect(view.id).toBe(data.id.value);
  });

  it("does not find another partner's record for a partner key (404, not 403), and finds it for an admin key", async () => {
    const data = IngestedDataMother.ingested({ partnerId: 'globex' });
    readModel.add(data);

    await expect(
      handler.execute(new GetDataByIdQuery(PrincipalMother.partner('acme'), data.id.value)),
    ).rejects.toBeInstanceOf(DataNotFoundError);
    expect((await handler.execute(new GetDataByIdQuery(PrincipalMother.partner('globex'), data.id.value))).id).toBe(
      data.id.value,
    );
    expect((await handler.execute(new GetDataByIdQuery(PrincipalMother.admin(), data.id.value))).id).toBe(
      data.id.value,
    );
  });
});
