import { DataId } from './data-id.value-object';
import { PartnerId } from './partner-id.value-object';
import { Timestamp } from './timestamp.value-object';

/** Which records a list asks for; every filter is optional and they combine with AND. */
export interface DataListCriteria {
  partnerId?: PartnerId;
  /** Only records after this one in the event log (the cursor). */
  after?: DataId;
  /** Inclusive lower bound on the timestamp. */
  since?: Timestamp;
  /** Exclusive upper bound on the timestamp. */
  until?: Timestamp;
  includePayload: boolean;
}
