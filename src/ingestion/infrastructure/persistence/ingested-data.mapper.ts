import { DataId } from '../../domain/data-id.value-object';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { PartnerId } from '../../domain/partner-id.value-object';
import { Payload } from '../../domain/payload.value-object';
import { Timestamp } from '../../domain/timestamp.value-object';

/** A row as the SQL of the repository selects it (column names). */
export interface IngestedDataRow {
  id: string;
  partner_id: string;
  timestamp: string;
  payload: string;
}

export class IngestedDataMapper {
  static toRow(data: IngestedData): IngestedDataRow {
    return {
      id: data.id.value,
      partner_id: data.partnerId.value,
      timestamp: data.timestamp.value,
      payload: data.payload.json,
    };
  }

  static toDomain(row: IngestedDataRow): IngestedData {
    // Stored values were validated on the way in: restoring them checks nothing again.
    return IngestedData.reconstitute({
      id: DataId.restore(row.id),
      partnerId: PartnerId.restore(row.partner_id),
      timestamp: Timestamp.restore(row.timestamp),
      payload: Payload.fromJson(row.payload),
    });
  }
}
