import { IngestedData } from '../../domain/ingested-data.aggregate';

/** A record as the repositories insert it (column names). */
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
}
