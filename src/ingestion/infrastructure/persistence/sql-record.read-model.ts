import type { Statement } from 'better-sqlite3';
import { DataSource, QueryRunner } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { DataListFilter, RecordReadModel } from '../../application/ports/record.read-model';
import type { DataListItem } from '../../application/views/data-list.view';
import type { IngestedDataView } from '../../application/views/ingested-data.view';
import { DataId } from '../../domain/data-id.value-object';
import { UnknownCursorError } from '../../domain/ingestion.errors';
import { translateDatabaseError } from './database-errors';
import { ExportSlots } from './export-slots';
import { sqliteConnectionOf } from './sqlite-connection';
import { ChunkReader, ChunkSizes, StreamedChunks } from './streamed-chunks';

/** A place in the event log, which is the list order: SQLite's `seq`, PostgreSQL's `position` (a bigint, as text). */
type ListPosition = number | string;

/** Streamed lists: how many one instance serves at once, and how long one may wait for its client. */
export interface StreamedListLimits {
  maxOpen: number;
  stallTimeoutMs: number;
}

interface ListRow {
  position: ListPosition;
  id: string;
  partner_id: string;
  timestamp: string;
  payload?: string;
}

const findByIdSql = (placeholder: string) =>
  `SELECT "id", "partner_id" AS "partnerId", "timestamp", "payload" AS "payloadJson" FROM "ingested_data" WHERE "id" = ${placeholder}`;

/**
 * Lists follow the event log: SQLite's `seq` (its rowid: one connection generates and inserts ids in one synchronous
 * step, so it is commit and id order), PostgreSQL's `position` (see PostgresDataRepository).
 */
export class SqlRecordReadModel extends RecordReadModel {
  static readonly CHUNK_SIZE = 1000;
  static readonly CHUNK_BYTES = 1024 * 1024;
  private static readonly CURSOR = '"ingestion_list"';
  private static readonly IDLE_TRANSACTION_MARGIN_MS = 5_000;

  /** A list with payloads starts with one row, then takes as many as fit in CHUNK_BYTES. */
  static chunkSizes(filter: DataListFilter): ChunkSizes {
    const maxRows = SqlRecordReadModel.CHUNK_SIZE;
    return { maxRows, maxBytes: SqlRecordReadModel.CHUNK_BYTES, firstRows: filter.includePayload ? 1 : maxRows };
  }

  private readonly postgres: boolean;
  private readonly positionColumn: '"seq"' | '"position"';
  private readonly exportSlots: ExportSlots;
  private findByIdStatement?: Statement;

  constructor(
    private readonly dataSource: DataSource,
    private readonly streamedLists: StreamedListLimits,
  ) {
    super();
    this.postgres = dataSource.options.type === 'postgres';
    this.positionColumn = this.postgres ? '"position"' : '"seq"';
    this.exportSlots = new ExportSlots(streamedLists.maxOpen);
  }

  findById(id: DataId): Promise<IngestedDataView | null> {
    return this.guarded(async () => {
      const rows = this.postgres
        ? await this.preparedOnPool<IngestedDataView>('ingestion_find_by_id', findByIdSql('$1'), [id.value])
        : await this.findByIdOnSqlite(id.value);
      return rows.length === 0 ? null : rows[0];
    });
  }

  findPage(filter: DataListFilter & { limit: number }): Promise<DataListItem[]> {
    return this.guarded(async () => {
      const after = await this.positionAfter(filter);
      const [sql, parameters] = this.listQuery(filter, { after, limit: filter.limit });
      return (await this.query<ListRow>(sql, parameters)).map(toItem);
    });
  }

  async streamChunks(filter: DataListFilter): Promise<AsyncIterable<DataListItem[]>> {
    const releaseSlot = this.exportSlots.take();
    try {
      const reader = await this.guarded(() =>
        this.postgres ? this.openCursorReader(filter) : this.openSnapshotReader(filter),
      );
      return new StreamedChunks(reader, SqlRecordReadModel.chunkSizes(filter), releaseSlot);
    } catch (error) {
      releaseSlot();
      throw error;
    }
  }

  /** Stops at the `MAX(seq)` taken now: a snapshot without holding a read transaction on the shared connection. */
  private async openSnapshotReader(filter: DataListFilter): Promise<ChunkReader> {
    let afterSeq = ((await this.positionAfter(filter)) as number | undefined) ?? 0;
    // The list is what was committed when it started: rows added while it streams wait for the next read.
    const [{ last }] = await this.query<{ last: number | null }>('SELECT MAX("seq") AS "last" FROM "ingested_data"');
    const lastSeq = last ?? 0;
    return {
      read: (limit) =>
        this.guarded(async () => {
          if (afterSeq >= lastSeq) return [];
          const [sql, parameters] = this.listQuery(filter, { after: afterSeq, upTo: lastSeq, limit });
          const rows = await this.query<ListRow>(sql, parameters);
          if (rows.length > 0) afterSeq = rows[rows.length - 1].position as number;
          return rows.map(toItem);
        }),
      close: async () => undefined,
    };
  }

  private async openCursorReader(filter: DataListFilter): Promise<ChunkReader> {
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
      const after = await this.positionAfter(filter, runner);
      const [sql, parameters] = this.listQuery(filter, { after });
      await runner.query(`DECLARE ${SqlRecordReadModel.CURSOR} NO SCROLL CURSOR FOR ${sql}`, parameters);
    } catch (error) {
      await close();
      throw error;
    }
    return {
      read: (rows) =>
        this.guarded(async () => {
          const fetched: ListRow[] = await runner.query(`FETCH FORWARD ${rows} FROM ${SqlRecordReadModel.CURSOR}`);
          return fetched.map(toItem);
        }),
      close,
    };
  }

  private idleTransactionTimeoutMs(): number {
    return this.streamedLists.stallTimeoutMs + SqlRecordReadModel.IDLE_TRANSACTION_MARGIN_MS;
  }

  private async positionAfter(filter: DataListFilter, runner?: QueryRunner): Promise<ListPosition | undefined> {
    if (filter.after === undefined) return undefined;
    const sql = `SELECT ${this.positionColumn} AS "position" FROM "ingested_data" WHERE "id" = ${this.placeholder(1)}`;
    const rows: Array<{ position: ListPosition }> = runner
      ? await runner.query(sql, [filter.after])
      : await this.query(sql, [filter.after]);
    if (rows.length === 0) throw new UnknownCursorError(filter.after);
    return rows[0].position;
  }

  private listQuery(
    filter: DataListFilter,
    bounds: { after?: ListPosition; upTo?: ListPosition; limit?: number },
  ): [string, unknown[]] {
    const columns = [`${this.positionColumn} AS "position"`, '"id"', '"partner_id"', '"timestamp"'];
    if (filter.includePayload) columns.push('"payload"');
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    const bind = (value: unknown) => this.placeholder(parameters.push(value));
    if (bounds.after !== undefined) conditions.push(`${this.positionColumn} > ${bind(bounds.after)}`);
    if (bounds.upTo !== undefined) conditions.push(`${this.positionColumn} <= ${bind(bounds.upTo)}`);
    if (filter.partnerId !== undefined) conditions.push(`"partner_id" = ${bind(filter.partnerId)}`);
    if (filter.since !== undefined) conditions.push(`"timestamp" >= ${bind(filter.since)}`);
    if (filter.until !== undefined) conditions.push(`"timestamp" < ${bind(filter.until)}`);
    let sql = `SELECT ${columns.join(', ')} FROM "ingested_data"`;
    if (conditions.length > 0) sql += ` WHERE ${conditions.join(' AND ')}`;
    sql += ` ORDER BY ${this.positionColumn}`;
    if (bounds.limit !== undefined) sql += ` LIMIT ${bind(bounds.limit)}`;
    return [sql, parameters];
  }

  private query<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return this.dataSource.query<T[]>(sql, parameters);
  }

  /** Prepared once on TypeORM's one SQLite connection, as its query runner hands it out: TypeORM's query() costs more than this query. */
  private async findByIdOnSqlite(id: string): Promise<IngestedDataView[]> {
    let statement = this.findByIdStatement;
    if (!statement?.database.open) {
      const connection = await sqliteConnectionOf(this.dataSource);
      statement = this.findByIdStatement = connection.prepare(findByIdSql('?'));
    }
    return statement.all(id) as IngestedDataView[];
  }

  /** A named prepared statement on the pool: TypeORM's QueryRunner per query costs more than this query. */
  private async preparedOnPool<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const { driver } = this.dataSource;
    if (!(driver instanceof PostgresDriver)) throw new Error('preparedOnPool needs PostgreSQL');
    const { rows } = await driver.master.query({ name, text, values });
    return rows as T[];
  }

  private placeholder(position: number): string {
    return this.postgres ? `$${position}` : '?';
  }

  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}

function toItem(row: ListRow): DataListItem {
  return { id: row.id, partnerId: row.partner_id, timestamp: row.timestamp, payloadJson: row.payload };
}
