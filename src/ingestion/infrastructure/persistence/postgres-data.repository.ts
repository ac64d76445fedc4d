import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { DataId } from '../../domain/data-id.value-object';
import { DataListCriteria } from '../../domain/data-list.criteria';
import { StoredDataSummary } from '../../domain/data.repository';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { Timestamp } from '../../domain/timestamp.value-object';
import { StorageUnavailableError } from '../../domain/ingestion.errors';
import { IngestedDataMapper, IngestedDataRow } from './ingested-data.mapper';
import {
  CLAIM_KEY_SQL,
  claimParameters,
  ListPosition,
  outcomeAgainst,
  STORED_CLAIM_SQL,
  StoredClaimRow,
  SummaryRow,
  toSummary,
  translateDatabaseError,
  TypeOrmDataRepository,
} from './typeorm-data.repository';

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
 * PostgreSQL (pg pool): several instances may write to one database.
 *
 * Lists are ordered by `id`: ids are UUIDv7, monotonic within an instance, so each
 * instance's records keep their order and the `after` cursor is the id itself; there is no
 * shared sequence (whose values would follow insert order, not commit order, anyway).
 *
 * The record writes of one instance commit one after another, in the order they were asked
 * for (which is the order their ids were made): otherwise two inserts on two pooled
 * connections could commit out of id order, and a client paging with `after` could step past
 * a record that commits a moment later with a smaller id. In order, what a reader sees of an
 * instance's records is always a prefix of them, as on SQLite. Single records that arrive
 * while a write is under way wait together and then go in as one INSERT (group commit), so
 * keeping the order costs no throughput: under load this is faster than one INSERT per
 * record on as many pooled connections.
 *
 * Batches go in as one INSERT … SELECT FROM unnest(arrays): one statement whatever the size.
 */
@Injectable()
export class PostgresDataRepository extends TypeOrmDataRepository {
  private static readonly CURSOR = '"ingestion_list"';

  protected readonly positionColumn = '"id"';
  /** Most single records one grouped INSERT takes, and about how much payload text. */
  private static readonly MAX_GROUP_RECORDS = 500;
  private static readonly MAX_GROUP_BYTES = 4 * 1024 * 1024;

  private readonly numbered = new Map<string, string>();
  /** Single records waiting for their turn in `writes`; later ones may still join. */
  private openGroup?: PendingGroup;
  /** The tail of this instance's record writes: each starts when the one before has settled. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() dataSource: DataSource) {
    super(dataSource);
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

  /**
   * The hot read goes to the pool directly, as a named prepared statement (parsed and planned
   * once per connection); TypeORM's per-query QueryRunner and event broadcast cost more than
   * the query itself here.
   */
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

  /**
   * Joins the group of single records waiting for their turn (or opens one): when its turn
   * comes, the group goes in as one INSERT, one commit, in the order the records came.
   */
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

  /**
   * Inserts a group of single records in one statement. If that fails for a reason other
   * than the database being unreachable, one bad record must not fail the others: each is
   * then inserted alone, in order, and answered on its own.
   */
  private async insertGroup(group: PendingGroup): Promise<void> {
    if (this.openGroup === group) this.openGroup = undefined;
    const { records } = group;
    try {
      await this.guarded(() => this.insertRows(this.dataSource, records));
      for (const record of records) record.resolve();
      return;
    } catch (error) {
      if (records.length === 1 || error instanceof StorageUnavailableError) {
        for (const record of records) record.reject(error);
        return;
      }
    }
    for (const record of records) {
      try {
        await this.guarded(() => this.insertRows(this.dataSource, [record]));
        record.resolve();
      } catch (error) {
        record.reject(error);
      }
    }
  }

  /** One INSERT for any number of rows, the columns as arrays, unnested; on the pool or in a transaction. */
  private insertRows(
    executor: Pick<DataSource | EntityManager, 'query'>,
    records: Array<{ row: IngestedDataRow }>,
  ): Promise<unknown> {
    return executor.query(
      `INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload")
       SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[], $4::json[])`,
      [
        records.map(({ row }) => row.id),
        records.map(({ row }) => row.partner_id),
        records.map(({ row }) => row.timestamp),
        records.map(({ row }) => row.payload),
      ],
    );
  }

  private saveAllNow(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    const rows = records.map((record) => ({ row: IngestedDataMapper.toRow(record) }));
    return this.guarded(() =>
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
    return this.guarded(async () => {
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

  streamChunks(criteria: DataListCriteria): Promise<AsyncIterable<StoredDataSummary[]>> {
    return this.guarded(async () => {
      // Checked now, so that an unknown cursor is a 400 (and a database that does not answer
      // a 503) before any byte is sent. Records are never deleted: the cursor record is still
      // there when the list's snapshot is taken.
      const after = await this.positionAfter(criteria);
      if (after === undefined) await this.query('SELECT 1');
      return this.cursorChunks(criteria, after);
    });
  }

  private async *cursorChunks(
    criteria: DataListCriteria,
    after: ListPosition | undefined,
  ): AsyncGenerator<StoredDataSummary[]> {
    const runner = this.dataSource.createQueryRunner('slave');
    let open = false;
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      open = true;
      const [sql, parameters] = this.listQuery(criteria, { after });
      await runner.query(
        `DECLARE ${PostgresDataRepository.CURSOR} NO SCROLL CURSOR FOR ${this.dialect(sql)}`,
        parameters,
      );
      for (;;) {
        const rows = await this.fetch(runner);
        if (rows.length > 0) yield rows.map(toSummary);
        if (rows.length < PostgresDataRepository.CHUNK_SIZE) break;
      }
      await runner.query('COMMIT');
      open = false;
    } catch (error) {
      throw translateDatabaseError(error);
    } finally {
      // Also when the reader stopped early (the generator's return()): end the transaction, free the connection.
      if (open) await runner.query('ROLLBACK').catch(() => undefined);
      await runner.release();
    }
  }

  private fetch(runner: QueryRunner): Promise<SummaryRow[]> {
    return runner.query(`FETCH FORWARD ${PostgresDataRepository.CHUNK_SIZE} FROM ${PostgresDataRepository.CURSOR}`);
  }
}
