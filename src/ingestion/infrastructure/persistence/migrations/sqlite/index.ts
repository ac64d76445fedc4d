import { CreateIngestedData1764403200000 } from './1764403200000-create-ingested-data';
import { CreateIdempotencyKeys1764489600000 } from './1764489600000-create-idempotency-keys';
import { CreateStorageProbe1764576000000 } from './1764576000000-create-storage-probe';
import { CreateEventLog1764662400000 } from './1764662400000-create-event-log';
import { NotifyEventLog1764921600000 } from './1764921600000-notify-event-log';

export const SQLITE_MIGRATIONS = [
  CreateIngestedData1764403200000,
  CreateIdempotencyKeys1764489600000,
  CreateStorageProbe1764576000000,
  CreateEventLog1764662400000,
  NotifyEventLog1764921600000,
];
