import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { Timestamp } from '../../domain/timestamp.value-object';
import { StorageFullError, StorageUnavailableError } from '../../domain/ingestion.errors';
import { DatabaseWritesMonitor } from './database-writes.monitor';
import { IngestedDataMapper, IngestedDataRow } from './ingested-data.mapper';
import { DataRepository } from '../../domain/data.repository';
import { claimParameters, outcomeAgainst, StoredClaimRow } from './claim-rows';

const SAVED: ClaimOutcome = { kind: 'saved' };

/** Inserts or takes over an expired claim; a live claim on (scope, key) is left as it is and returns no row. */
const CLAIM_KEY_SQL = `INSERT INTO "idempotency_keys" ("scope", "key", "fingerprint", "status", "response", "created_at", "expires_at")
  VALUES ($1, $2, $3, $4, $5, $6, $7)
  ON CONFLICT ("scope", "key") DO UPDATE SET
    "fingerprint" = excluded."fingerprint", "status" = excluded."status", "response" = excluded."response",
    "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"
  WHERE "idempotency_keys"."expires_at" <= excluded."created_at"
  RETURNING 1`;

const STORED_CLAIM_SQL =
  'SELECT "fingerprint", "status", "response" FROM "idempotency_keys" WHERE "scope" = $1 AND "key" = $2';

const PURGE_CLAIMS_SQL = `WITH "expired" AS (
    SELECT "scope", "key" FROM "idempotency_keys" WHERE "expires_at" <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED
  )
  DELETE FROM "idempotency_keys" AS "k" USING "expired" AS "e"
  WHERE "k"."scope" = "e"."scope" AND "k"."key" = "e"."key"`;

interface PendingRecord {
  row: IngestedDataRow;
  resolve(): void;
  reject(error: unknown): void;
}

interface PendingGroup {
  records: PendingRecord[];
  bytes: number;
}

/**
 * `position` comes from `event_log_head`, whose row lock the inserting statement holds until commit: positions follow
 * commit order across instances, so a reader paging with `after` never misses a record. One instance writes one group
 * at a time, in id order; single records arriving meanwhile share one INSERT, one row update per commit.
 */
@Injectable()
export class PostgresDataRepository extends DataRepository {
  private static readonly MAX_GROUP_RECORDS = 500;
  private static readonly MAX_GROUP_BYTES = 4 * 1024 * 1024;

  private openGroup?: PendingGroup;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writesMonitor: DatabaseWritesMonitor,
  ) {
    super();
  }

  save(records: readonly IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    if (claim === undefined && records.length === 1) return this.saveInGroup(records[0]).then(() => SAVED);
    this.openGroup = undefined; // singles asked for after this write commit after it
    return this.inOrder(() => this.saveNow(records, claim));
  }

  private saveInGroup(data: IngestedData): Promise<void> {
    const row = IngestedDataMapper.toRow(data);
    return new Promise<void>((resolve, reject) => {
      let group = this.openGroup;
      if (
        !group ||
        group.records.length >= PostgresDataRepository.MAX_GROUP_RECORDS ||
        group.bytes >= PostgresDataRepository.MAX_GROUP_BYTES
      ) {
        const opened: PendingGroup = { records: [], bytes: 0 };
        this.openGroup = group = opened;
        void this.inOrder(() => this.insertGroup(opened));
      }
      group.records.push({ row, resolve, reject });
      group.bytes += row.payload.length;
    });
  }

  /** Queues `write` behind the writes asked for before it; a failed write does not stop the ones after it. */
  private inOrder<T>(write: () => Promise<T>): Promise<T> {
    const result = this.writes.then(write);
    this.writes = result.catch(() => undefined);
    return result;
  }

  /** One bad record must not fail its group: unless the database is away or its storage failing, each goes in alone. */
  private async insertGroup(group: PendingGroup): Promise<void> {
    if (this.openGroup === group) this.openGroup = undefined;
    const { records } = group;
    try {
      await this.writesMonitor.guard(() => this.insertRows(this.dataSource, records));
      for (const record of records) record.resolve();
      return;
    } catch (error) {
      if (records.length === 1 || error instanceof StorageUnavailableError || error instanceof StorageFullError) {
        for (const record of records) record.reject(error);
        return;
      }
    }
    for (const record of records) {
      try {
        await this.writesMonitor.guard(() => this.insertRows(this.dataSource, [record]));
        record.resolve();
      } catch (error) {
        record.reject(error);
      }
    }
  }

  private insertRows(
    executor: Pick<DataSource | EntityManager, 'query'>,
    records: Array<{ row: IngestedDataRow }>,
  ): Promise<unknown> {
    return executor.query(
      `WITH "head" AS (
         UPDATE "event_log_head" SET "last_position" = "last_position" + $5
         RETURNING "last_position" - $5 AS "base"
       )
       INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload", "position")
       SELECT "r"."id", "r"."partner_id", "r"."timestamp", "r"."payload", "head"."base" + "r"."ordinal"
       FROM "head", unnest($1::uuid[], $2::varchar[], $3::timestamptz[], $4::json[])
         WITH ORDINALITY AS "r" ("id", "partner_id", "timestamp", "payload", "ordinal")`,
      [
        records.map(({ row }) => row.id),
        records.map(({ row }) => row.partner_id),
        records.map(({ row }) => row.timestamp),
        records.map(({ row }) => row.payload),
        records.length,
      ],
    );
  }

  private saveNow(records: readonly IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    const rows = records.map((record) => ({ row: IngestedDataMapper.toRow(record) }));
    return this.writesMonitor.guard(() =>
      this.dataSource.transaction(async (manager): Promise<ClaimOutcome> => {
        if (claim) {
          // A concurrent claim on the same key waits here for the other transaction, then sees its row.
          const claimed = await manager.query<unknown[]>(CLAIM_KEY_SQL, claimParameters(claim));
          if (claimed.length === 0) {
            const [stored] = await manager.query<StoredClaimRow[]>(STORED_CLAIM_SQL, [claim.scope, claim.key.value]);
            return outcomeAgainst(stored, claim);
          }
        }
        await this.insertRows(manager, rows);
        return SAVED;
      }),
    );
  }

  purgeExpiredClaims(now: Timestamp, limit: number): Promise<number> {
    return this.writesMonitor.guard(async () => {
      // TypeORM answers a DELETE as [rows, rowCount].
      const [, deleted] = (await this.dataSource.query(PURGE_CLAIMS_SQL, [now.value, limit])) as [unknown[], number];
      return deleted;
    });
  }
}
