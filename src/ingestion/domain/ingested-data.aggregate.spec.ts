import { IngestedDataMother } from '../../../test/mothers/ingested-data.mother';
import { DataId } from './data-id.value-object';
import { DataIngested } from './data-ingested.event';
import { IngestedData } from './ingested-data.aggregate';
import { PartnerId } from './partner-id.value-object';
import { Payload } from './payload.value-object';
import { Timestamp } from './timestamp.value-object';

describe('IngestedData', () => {
  const props = () => ({
    id: DataId.generate(),
    partnerId: PartnerId.create('acme'),
    payload: Payload.create({ secret: 'do-not-broadcast', n: 1 }),
    timestamp: Timestamp.parse('2026-11-29T10:31:05.123Z'),
  });

  describe('ingest', () => {
    it('raises exactly one DataIngested that names the record', () => {
      const recordProps = props();

      const data = IngestedData.ingest(recordProps);

      const events = data.getUncommittedEvents();
      expect(events).toHaveLength(1);
      expect(events[0]).toBeInstanceOf(DataIngested);
      expect(events[0]).toEqual(new DataIngested(recordProps.id.value, 'acme', '2026-11-29T10:31:05.123Z'));
    });

    it('leaves the payload out of the event', () => {
      const [event] = IngestedData.ingest(props()).getUncommittedEvents();

      expect(Object.keys(event)).toEqual(['dataId', 'partnerId', 'timestamp']);
      expect(JSON.stringify(event)).not.toContain('do-not-broadcast');
    });

    it('exposes what it was built from', () => {
      const recordProps = props();

      const data = IngestedData.ingest(recordProps);

      expect(data.id).toBe(recordProps.id);
      expect(data.partnerId).toBe(recordProps.partnerId);
      expect(data.payload).toBe(recordProps.payload);
      expect(data.timestamp).toBe(recordProps.timestamp);
    });

    it('hands its event over on commit, once', () => {
      const data = IngestedDataMother.ingested();
      const published: unknown[] = [];
      data.publishAll = (events) => published.push(...events);

      data.commit();
      data.commit();

      expect(published).toEqual([new DataIngested(data.id.value, data.partnerId.value, data.timestamp.value)]);
      expect(data.getUncommittedEvents()).toEqual([]);
    });
  });

  describe('reconstitute', () => {
    it('raises no event', () => {
      const data = IngestedData.reconstitute(props());

      expect(data.getUncommittedEvents()).toEqual([]);
    });

    it('exposes what was stored', () => {
      const recordProps = props();

      const data = IngestedData.reconstitute(recordProps);

      expect(data.id.equals(recordProps.id)).toBe(true);
      expect(data.partnerId.value).toBe('acme');
      expect(data.payload.json).toBe('{"secret":"do-not-broadcast","n":1}');
      expect(data.timestamp.value).toBe('2026-11-29T10:31:05.123Z');
    });
  });
});
