import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, QueryRunner } from 'typeorm';
import { DataListCriteria } from '../../domain/data-list.criteria';
import { StoredDataSummary } from '../../domain/data.repository';
import { ClaimOutcome, IdempotencyClaim } from '../../domain/idempotency.claim';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { Timestamp } from '../../domain/timestamp.value-object';
import { IngestedDataMapper } from './ingested-data.mapper';
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
 * instance's records is always a prefix of them, as on SQLite. (Measured here, one connection
 * at a time inserts about as fast as a pool of ten: the service, not PostgreSQL, is the limit.)
 * A streamed list is a server-side cursor (DECLARE … CURSOR / FETCH) in a read-only
 * REPEATABLE READ transaction: one snapshot for the whole list, 1,000 rows per FETCH, each
 * FETCH under the pool's statement timeout. The cursor's connection is taken only when the
 * first chunk is read, and given back when the list ends or its reader stops.
 *
 * Batches go in as one INSERT … SELECT FROM unnest(arrays): one statement whatever the size.
 */
@Injectable()
export class PostgresDataRepository extends TypeOrmDataRepository {
  private static readonly CURSOR = '"ingestion_list"';

  protected readonly positionColumn = '"id"';
  private readonly numbered = new Map<string, string>();
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

  protected positionOf(row: SummaryRow): ListPosition {
    return row.id;
  }

  save(data: IngestedData): Promise<void> {
    return this.inOrder(() => super.save(data));
  }

  saveAll(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    return this.inOrder(() => this.saveAllNow(records, claim));
  }

  /** Queues `write` behind the writes asked for before it; a failed write does not stop the ones after it. */
  private inOrder<T>(write: () => Promise<T>): Promise<T> {
    const result = this.writes.then(write);
    this.writes = result.catch(() => undefined);
    return result;
  }

  private saveAllNow(records: IngestedData[], claim?: IdempotencyClaim): Promise<ClaimOutcome> {
    const rows = records.map((record) => IngestedDataMapper.toRow(record));
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
        await manager.query(
          `INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload")
           SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[], $4::json[])`,
          [
            rows.map((row) => row.id),
            rows.map((row) => row.partner_id),
            rows.map((row) => row.timestamp),
            rows.map((row) => row.payload),
          ],
        );
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
