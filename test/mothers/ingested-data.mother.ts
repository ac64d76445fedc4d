import { DataId } from '../../src/ingestion/domain/data-id.value-object';
import { IngestedData, IngestedDataProps } from '../../src/ingestion/domain/ingested-data.aggregate';
import { PartnerId } from '../../src/ingestion/domain/partner-id.value-object';
import { JsonObject, Payload } from '../../src/ingestion/domain/payload.value-object';
import { Timestamp } from '../../src/ingestion/domain/timestamp.value-object';
import { PartnerIdMother } from './partner-id.mother';
import { PayloadMother } from './payload.mother';

export interface IngestedDataOverrides {
  id?: string;
  partnerId?: string;
  payload?: JsonObject;
  timestamp?: string;
}

export interface IngestedDataSeriesOptions {
  /** One partner for every record, or one per record (cycled). */
  partnerIds?: string[];
  start?: string;
  stepMs?: number;
}

export class IngestedDataMother {
  static readonly RECEIVED_AT = '2026-11-29T10:31:05.123Z';

  /** A new record, as the factory builds it: it has raised `DataIngested`. */
  static ingested(overrides: IngestedDataOverrides = {}): IngestedData {
    return IngestedData.ingest(IngestedDataMother.props(overrides));
  }

  /** A record read back from storage: it raises nothing. */
  static stored(overrides: IngestedDataOverrides = {}): IngestedData {
    return IngestedData.reconstitute(IngestedDataMother.props(overrides));
  }

  /**
   * `count` records in ingestion order: fresh ids (ascending) and timestamps `stepMs` apart.
   * Record `i` carries payload `{ "n": i }`.
   */
  static series(count: number, options: IngestedDataSeriesOptions = {}): IngestedData[] {
    const partnerIds = options.partnerIds ?? [PartnerIdMother.ACME];
    const start = Date.parse(options.start ?? '2026-11-29T10:00:00.000Z');
    const stepMs = options.stepMs ?? 60_000;
    return Array.from({ length: count }, (_, index) =>
      IngestedDataMother.stored({
        partnerId: partnerIds[index % partnerIds.length],
        timestamp: new Date(start + index * stepMs).toISOString(),
        payload: { n: index },
      }),
    );
  }

  private static props(overrides: IngestedDataOverrides): IngestedDataProps {
    return {
      id: overrides.id === undefined ? DataId.generate() : DataId.create(overrides.id),
      partnerId: PartnerId.create(overrides.partnerId ?? PartnerIdMother.ACME),
      payload: Payload.create(overrides.payload ?? PayloadMother.reading()),
      timestamp: Timestamp.parse(overrides.timestamp ?? IngestedDataMother.RECEIVED_AT),
    };
  }
}
