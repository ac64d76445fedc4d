import { CreateApiKeys1764835200000 } from './1764835200000-create-api-keys';
import { CreateStreamTokens1765008000000 } from './1765008000000-create-stream-tokens';

/** The access context's SQLite tables, oldest first; they come after the ingestion ones. */
export const ACCESS_SQLITE_MIGRATIONS = [CreateApiKeys1764835200000, CreateStreamTokens1765008000000];
