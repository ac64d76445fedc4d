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

  it('restores the same record from its row, raising no event', () => {
    const data = IngestedDataMother.ingested();
    const restored = IngestedDataMapper.toDomain(IngestedDataMapper.toRow(data));
    expect(restored.id.equals(data.id)).toBe(true);
    expect(restored.partnerId.equals(data.partnerId)).toBe(true);
    expect(restored.timestamp.equals(data.timestamp)).toBe(true);
    expect(restored.payload.json).toBe(data.payload.json);
    expect(restored.getUncommittedEvents()).toEqual([]);
  });

  it('keeps stored values as they are, without validating them again', () => {
    const row = {
      id: 'legacy-id',
      partner_id: 'legacy partner',
      timestamp: '2026-11-29T10:31:05Z',
      payload: '{"2":1,"a":2}',
    };
    const restored = IngestedDataMapper.toDomain(row);
    expect([restored.id.value, restored.partnerId.value, restored.timestamp.value, restored.payload.json]).toEqual([
      row.id,
      row.partner_id,
      row.timestamp,
      row.payload,
    ]);
  });
});
