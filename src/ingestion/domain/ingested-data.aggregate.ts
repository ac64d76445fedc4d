import { AggregateRoot } from '@nestjs/cqrs';
import { DataId } from './data-id.value-object';
import { DataIngested } from './data-ingested.event';
import { PartnerId } from './partner-id.value-object';
import { Payload } from './payload.value-object';
import { Timestamp } from './timestamp.value-object';

export interface IngestedDataProps {
  id: DataId;
  partnerId: PartnerId;
  payload: Payload;
  timestamp: Timestamp;
}

export class IngestedData extends AggregateRoot {
  private constructor(private readonly props: IngestedDataProps) {
    super();
  }

  /** A new record: raises `DataIngested`. Use `IngestedDataFactory` rather than calling this directly. */
  static ingest(props: IngestedDataProps): IngestedData {
    const data = new IngestedData(props);
    data.apply(new DataIngested(props.id.value, props.partnerId.value, props.timestamp.value));
    return data;
  }

  /** A stored record: raises nothing. */
  static reconstitute(props: IngestedDataProps): IngestedData {
    return new IngestedData(props);
  }

  get id(): DataId {
    return this.props.id;
  }

  get partnerId(): PartnerId {
    return this.props.partnerId;
  }

  get payload(): Payload {
    return this.props.payload;
  }

  get timestamp(): Timestamp {
    return this.props.timestamp;
  }
}
