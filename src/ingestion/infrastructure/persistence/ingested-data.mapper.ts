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
    return IngestedData.reconstitute({
      id: DataId.create(row.id),
      partnerId: PartnerId.create(row.partner_id),
      timestamp: Timestamp.parse(row.timestamp),
      payload: Payload.fromJson(row.payload),
    });
  }
}
