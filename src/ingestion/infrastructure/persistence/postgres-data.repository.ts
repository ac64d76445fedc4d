import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { DataId } from '../../domain/data-id.value-object';
import { DataListCriteria } from '../../domain/data-list.criteria';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { Timestamp } from '../../domain/timestamp.value-object';
import { StorageFullError, StorageUnavailableError } from '../../domain/ingestion.errors';
import { DatabaseWritesMonitor } from './database-writes.monitor';
import { IngestedDataMapper, IngestedDataRow } from './ingested-data.mapper';
import {
  CLAIM_KEY_SQL,
  claimParameters,
  outcomeAgainst,
  STORED_CLAIM_SQL,
  StoredClaimRow,
  StreamedListLimits,
  SummaryRow,
  toSummary,
  TypeOrmDataRepository,
} from './typeorm-data.repository';
import type { ChunkReader } from './streamed-chunks';

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
 * Lists follow the event log's `position`, taken from `event_log_head` by the statement that inserts
 * the records: its row lock is held until the commit, so positions are in commit order across
 * instances, and a reader paging with `after` never finds a record committed behind its cursor.
 * An instance's writes still go one after another, in id order, so that on one instance the log is
 * in id order; single records that arrive during a write go in together as one INSERT, which keeps
 * the lock's cost to one row update per commit.
 */
@Injectable()
export class PostgresDataRepository extends TypeOrmDataRepository {
  private static readonly CURSOR = '"ingestion_list"';
  private static readonly IDLE_TRANSACTION_MARGIN_MS = 5_000;

  protected readonly positionColumn = '"position"';
  private static readonly MAX_GROUP_RECORDS = 500;
  private static readonly MAX_GROUP_BYTES = 4 * 1024 * 1024;

  private readonly numbered = new Map<string, string>();
  private openGroup?: PendingGroup;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    @InjectDataSource() dataSource: DataSource,
    streamedLists: StreamedListLimits,
    writesMonitor: DatabaseWritesMonitor,
  ) {
    super(dataSource, streamedLists, writesMonitor);
  }

  /** `?` → `$1`, `$2`… (the SQL of this adapter has no `?` inside literals); cached per statement text. */
  protected dialect(sql: string): string {
    let converted = this.numbered.get(sql);
    if (converted === undefined) {
      let index = 0;
      converted = sql.replace(/\?/g, () => `$${++index}`);
      if (this.numbered.size < 256) this.numbered.set(sql, converted);
    }
    return converted;
  }

  /** A named prepared statement on the pool: TypeORM's QueryRunner per query costs more than this query. */
  findById(id: DataId): Promise<IngestedData | null> {
    return this.guarded(async () => {
      const pool = (this.dataSource.driver as unknown as { master: Pool }).master;
      const { rows } = await pool.query<IngestedDataRow>({
        name: 'ingestion_find_by_id',
        text: 'SELECT "id", "partner_id", "timestamp", "payload" FROM "ingested_data" WHERE "id" = $1',
        values: [id.value],
      });
      return rows.length === 0 ? null : IngestedDataMapper.toDomain(rows[0]);
    });
  }

  save(data: IngestedData): Promise<void> {
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

  saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    this.openGroup = undefined; // singles asked for after this batch commit after it
    return this.inOrder(() => this.saveAllNow(records, claim));
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
      await this.guardedWrite(() => this.insertRows(this.dataSource, records));
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
        await this.guardedWrite(() => this.insertRows(this.dataSource, [record]));
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

  private saveAllNow(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    const rows = records.map((record) => ({ row: IngestedDataMapper.toRow(record) }));
    return this.guardedWrite(() =>
      this.dataSource.transaction(async (manager): Promise<ClaimOutcome> => {
        if (claim) {
          // A concurrent claim on the same key waits here for the other transaction, then sees its row.
          const claimed = await manager.query<unknown[]>(this.dialect(`${CLAIM_KEY_SQL} RETURNING 1`), [
            ...claimParameters(claim),
          ]);
          if (claimed.length === 0) {
            const [stored] = await manager.query<StoredClaimRow[]>(this.dialect(STORED_CLAIM_SQL), [
              claim.scope,
              claim.key.value,
            ]);
            return outcomeAgainst(stored, claim);
          }
        }
        await this.insertRows(manager, rows);
        return { kind: 'saved' };
      }),
    );
  }

  purgeExpiredClaims(now: Timestamp, limit: number): Promise<number> {
    return this.guardedWrite(async () => {
      // TypeORM answers a DELETE as [rows, rowCount].
      const [, deleted] = (await this.dataSource.query(
        this.dialect(
          `WITH "expired" AS (
             SELECT "scope", "key" FROM "idempotency_keys" WHERE "expires_at" <= ? LIMIT ? FOR UPDATE SKIP LOCKED
           )
           DELETE FROM "idempotency_keys" AS "k" USING "expired" AS "e"
           WHERE "k"."scope" = "e"."scope" AND "k"."key" = "e"."key"`,
        ),
        [now.value, limit],
      )) as [unknown[], number];
      return deleted;
    });
  }

  protected async openChunkReader(criteria: DataListCriteria): Promise<ChunkReader> {
    const runner = this.dataSource.createQueryRunner('slave');
    let began = false;
    const close = async () => {
      if (began) await runner.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    };
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      began = true;
      // A safety net: the HTTP side cuts a reader that stalls, and this ends the transaction if that ever fails.
      await runner.query(`SET LOCAL idle_in_transaction_session_timeout = ${this.idleTransactionTimeoutMs()}`);
      const after = await this.positionAfter(criteria, runner);
      const [sql, parameters] = this.listQuery(criteria, { after });
      await runner.query(
        `DECLARE ${PostgresDataRepository.CURSOR} NO SCROLL CURSOR FOR ${this.dialect(sql)}`,
        parameters,
      );
    } catch (error) {
      await close();
      throw error;
    }
    return { read: (rows) => this.guarded(async () => (await this.fetch(runner, rows)).map(toSummary)), close };
  }

  private idleTransactionTimeoutMs(): number {
    return this.streamedLists.stallTimeoutMs + PostgresDataRepository.IDLE_TRANSACTION_MARGIN_MS;
  }

  private fetch(runner: QueryRunner, rows: number): Promise<SummaryRow[]> {
    return runner.query(`FETCH FORWARD ${rows} FROM ${PostgresDataRepository.CURSOR}`);
  }
}
