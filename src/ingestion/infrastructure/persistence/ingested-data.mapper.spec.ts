import { IngestedDataMother } from '../../../../test/mothers/ingested-data.mother';
import { IngestedDataMapper } from './ingested-data.mapper';

describe('IngestedDataMapper', () => {
  it('maps an aggregate to a row with the payload as its stored JSON text', () => {
    const data = IngestedDataMother.ingested();
    expect(IngestedDataMapper.toRow(data)).toEqual({
      id: data.id.value,
      partner_id: data.partnerId.value,
      timestamp: data.timestamp.value,
      payload: data.payload.json,
    });
  });
});
