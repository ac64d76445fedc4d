import { DataId } from './data-id.value-object';
import { PartnerId } from './partner-id.value-object';
import { Timestamp } from './timestamp.value-object';

/** Which records a list asks for; every filter is optional and they combine with AND. */
export interface DataListCriteria {
  partnerId?: PartnerId;
  /** Only records ingested after this one (the keyset cursor). */
  after?: DataId;
  /** Inclusive lower bound on the timestamp. */
  since?: Timestamp;
  /** Exclusive upper bound on the timestamp. */
  until?: Timestamp;
  includePayload: boolean;
}
