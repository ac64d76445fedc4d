import { CreateApiKeys1764835200000 } from './1764835200000-create-api-keys';
import { CreateStreamTokens1765008000000 } from './1765008000000-create-stream-tokens';

/** The access context's PostgreSQL tables, oldest first (same names as the SQLite ones); after the ingestion ones. */
export const ACCESS_POSTGRES_MIGRATIONS = [CreateApiKeys1764835200000, CreateStreamTokens1765008000000];
