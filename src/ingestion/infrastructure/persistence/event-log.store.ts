import { DataSource } from 'typeorm';
import type { DataIngestedIntegrationEvent } from '../../application/ports/data-ingested.integration-event';
import type { LiveFeedEntry } from '../../application/ports/live-feed';

export interface EventLogEntry extends DataIngestedIntegrationEvent {
  position: number;
}

export interface EventLogBacklog {
  pending: number;
  oldestTimestamp?: string;
}

export interface FeedPageRequest {
  after: number;
  upTo?: number;
  partnerId?: string;
  includePayload: boolean;
  rows: number;
  bytes: number;
}

interface EventLogSql {
  /** (sink, owner, lease expiry in ms, now in ms) → the sink's delivered position, when the lease is ours. */
  lease: string;
  /** (sink, owner, position, lease expiry in ms; SQLite: position and expiry first) → a row while the lease is ours. */
  advance: string;
  release: string;
  backlog: string;
  last: string;
  locate: string;
  position: string;
  payloadBytes: string;
  placeholder: (index: number) => string;
}

function leaseUpsert(sink: string, owner: string, expires: string, now: string): string {
  return `INSERT INTO "event_log_relays" ("sink", "delivered_position", "owner", "lease_expires_at")
    VALUES (${sink}, 0, ${owner}, ${expires})
    ON CONFLICT ("sink") DO UPDATE SET "owner" = excluded."owner", "lease_expires_at" = excluded."lease_expires_at"
    WHERE "event_log_relays"."owner" = excluded."owner" OR "event_log_relays"."lease_expires_at" <= ${now}
    RETURNING "delivered_position"`;
}

/** With payloads, a page ends before the entry that would take it past `bytes`, but holds at least one entry. */
function feedPageQuery(
  request: FeedPageRequest,
  position: string,
  payloadBytes: string,
  placeholder: (index: number) => string,
): [string, unknown[]] {
  const parameters: unknown[] = [request.after];
  let where = `${position} > ${placeholder(1)}`;
  if (request.upTo !== undefined) {
    parameters.push(request.upTo);
    where += ` AND ${position} <= ${placeholder(parameters.length)}`;
  }
  if (request.partnerId !== undefined) {
    parameters.push(request.partnerId);
    where += ` AND "partner_id" = ${placeholder(parameters.length)}`;
  }
  parameters.push(request.rows);
  const limit = placeholder(parameters.length);
  if (!request.includePayload) {
    return [
      `SELECT ${position} AS "position", "id", "partner_id", "timestamp" FROM "ingested_data"
        WHERE ${where} ORDER BY ${position} LIMIT ${limit}`,
      parameters,
    ];
  }
  parameters.push(request.bytes);
  const bytes = placeholder(parameters.length);
  return [
    `SELECT "position", "id", "partner_id", "timestamp", "payload" FROM (
        SELECT ${position} AS "position", "id", "partner_id", "timestamp", "payload",
          sum(${payloadBytes}) OVER (ORDER BY ${position}) - ${payloadBytes} AS "bytes_before"
        FROM "ingested_data" WHERE ${where} ORDER BY ${position} LIMIT ${limit}
      ) AS "page" WHERE "bytes_before" = 0 OR "bytes_before" < ${bytes} ORDER BY "position"`,
    parameters,
  ];
}

const POSTGRES_NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/** PostgreSQL: the lease runs on the database's clock, so instances on hosts with skewed clocks agree on it. */
const POSTGRES: EventLogSql = {
  lease: leaseUpsert('$1', '$2', `${POSTGRES_NOW_MS} + $3`, POSTGRES_NOW_MS),
  // In a WITH: TypeORM gives a bare UPDATE's result on PostgreSQL as [rows, count], never an empty list.
  advance: `WITH "advanced" AS (UPDATE "event_log_relays"
      SET "delivered_position" = $3, "lease_expires_at" = ${POSTGRES_NOW_MS} + $4
      WHERE "sink" = $1 AND "owner" = $2 RETURNING "sink")
    SELECT "sink" FROM "advanced"`,
  release: `UPDATE "event_log_relays" SET "lease_expires_at" = 0 WHERE "sink" = $1 AND "owner" = $2`,
  backlog: `SELECT "head"."last_position" - COALESCE("relay"."delivered_position", 0) AS "pending",
      (SELECT "timestamp" FROM "ingested_data"
        WHERE "position" = COALESCE("relay"."delivered_position", 0) + 1) AS "oldest_timestamp"
    FROM "event_log_head" AS "head" LEFT JOIN "event_log_relays" AS "relay" ON "relay"."sink" = $1`,
  last: `SELECT COALESCE(MAX("position"), 0) AS "position" FROM "ingested_data"`,
  locate: `SELECT "position", "partner_id" FROM "ingested_data" WHERE "id" = $1`,
  position: '"position"',
  payloadBytes: 'octet_length("payload"::text)',
  placeholder: (index) => `$${index}`,
};

/** SQLite: one host, so the process clock will do. */
const SQLITE: EventLogSql = {
  lease: leaseUpsert('?', '?', '?', '?'),
  advance: `UPDATE "event_log_relays" SET "delivered_position" = ?, "lease_expires_at" = ?
    WHERE "sink" = ? AND "owner" = ? RETURNING "sink"`,
  release: `UPDATE "event_log_relays" SET "lease_expires_at" = 0 WHERE "sink" = ? AND "owner" = ?`,
  backlog: `SELECT COALESCE(MAX("seq"), 0) - "relay"."delivered" AS "pending",
      (SELECT "timestamp" FROM "ingested_data" WHERE "seq" > "relay"."delivered" ORDER BY "seq" LIMIT 1) AS "oldest_timestamp"
    FROM "ingested_data",
      (SELECT COALESCE((SELECT "delivered_position" FROM "event_log_relays" WHERE "sink" = ?), 0) AS "delivered") AS "relay"`,
  last: `SELECT COALESCE(MAX("seq"), 0) AS "position" FROM "ingested_data"`,
  locate: `SELECT "seq" AS "position", "partner_id" FROM "ingested_data" WHERE "id" = ?`,
  position: '"seq"',
  payloadBytes: 'octet_length("payload")',
  placeholder: () => '?',
};

interface EntryRow {
  position: number | string;
  id: string;
  partner_id: string;
  timestamp: string;
  payload?: string;
}

function toEntry(row: EntryRow): LiveFeedEntry {
  return {
    position: Number(row.position),
    id: row.id,
    partnerId: row.partner_id,
    timestamp: row.timestamp,
    payloadJson: row.payload,
  };
}

/** Per sink, a cursor of what was delivered and the lease of the one instance that may deliver. */
export class EventLogStore {
  private readonly sql: EventLogSql;
  private readonly clockInDatabase: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.clockInDatabase = dataSource.options.type === 'postgres';
    this.sql = this.clockInDatabase ? POSTGRES : SQLITE;
  }

  /** Takes or renews the sink's lease: the position delivered so far, or undefined while another instance holds it. */
  async lease(sink: string, owner: string, leaseMs: number): Promise<number | undefined> {
    const now = Date.now();
    const parameters = this.clockInDatabase ? [sink, owner, leaseMs] : [sink, owner, now + leaseMs, now];
    const rows = await this.dataSource.query<Array<{ delivered_position: number | string }>>(
      this.sql.lease,
      parameters,
    );
    return rows.length === 0 ? undefined : Number(rows[0].delivered_position);
  }

  /** Moves the sink's cursor and renews the lease; false when the lease was lost (the cursor stays). */
  async advance(sink: string, owner: string, position: number, leaseMs: number): Promise<boolean> {
    const parameters = this.clockInDatabase
      ? [sink, owner, position, leaseMs]
      : [position, Date.now() + leaseMs, sink, owner];
    const rows = await this.dataSource.query<unknown[]>(this.sql.advance, parameters);
    return rows.length > 0;
  }

  async release(sink: string, owner: string): Promise<void> {
    await this.dataSource.query(this.sql.release, [sink, owner]);
  }

  /** Every partner's, with payloads: at least one entry when any waits, however big. */
  async entriesAfter(position: number, maxRows: number, maxBytes: number): Promise<EventLogEntry[]> {
    const request = { after: position, includePayload: true, rows: maxRows, bytes: maxBytes };
    return (await this.feedPage(request)) as EventLogEntry[];
  }

  /** Every position up to this one is committed and readable (the log is gapless for readers). */
  async lastPosition(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ position: number | string }>>(this.sql.last);
    return Number(row.position);
  }

  async locate(id: string): Promise<{ position: number; partnerId: string } | null> {
    const [row] = await this.dataSource.query<Array<{ position: number | string; partner_id: string }>>(
      this.sql.locate,
      [id],
    );
    return row === undefined ? null : { position: Number(row.position), partnerId: row.partner_id };
  }

  async feedPage(request: FeedPageRequest): Promise<LiveFeedEntry[]> {
    const [sql, parameters] = feedPageQuery(request, this.sql.position, this.sql.payloadBytes, this.sql.placeholder);
    const rows = await this.dataSource.query<EntryRow[]>(sql, parameters);
    return rows.map(toEntry);
  }

  async backlog(sink: string): Promise<EventLogBacklog> {
    const [row] = await this.dataSource.query<Array<{ pending: number | string; oldest_timestamp: string | null }>>(
      this.sql.backlog,
      [sink],
    );
    return { pending: Number(row?.pending ?? 0), oldestTimestamp: row?.oldest_timestamp ?? undefined };
  }
}
