import { DataId } from './data-id.value-object';
import { IngestedData } from './ingested-data.aggregate';
import { PartnerId } from './partner-id.value-object';
import { DEFAULT_PAYLOAD_LIMITS, Payload, PayloadLimits } from './payload.value-object';
import { Timestamp } from './timestamp.value-object';

export interface IngestDataInput {
  partnerId: unknown;
  payload: unknown;
  /** The payload as the partner wrote it, when known: kept so that key order survives. */
  payloadText?: string;
}

/**
 * The one place a new record is built: validates through the value objects, assigns a
 * fresh id and the receive time. `fieldPrefix` lets a caller name the record in errors.
 */
export class IngestedDataFactory {
  constructor(
    private readonly limits: PayloadLimits = DEFAULT_PAYLOAD_LIMITS,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  create(input: IngestDataInput, fieldPrefix = ''): IngestedData {
    const partnerId = PartnerId.create(input.partnerId, `${fieldPrefix}partner_id`);
    const payload = Payload.create(input.payload, this.limits, `${fieldPrefix}payload`, input.payloadText);
    return IngestedData.ingest({
      id: DataId.generate(),
      partnerId,
      payload,
      timestamp: Timestamp.fromDate(this.clock()),
    });
  }
}
