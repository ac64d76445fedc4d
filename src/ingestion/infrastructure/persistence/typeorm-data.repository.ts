import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DataId } from '../../domain/data-id.value-object';
import { DataListCriteria } from '../../domain/data-list.criteria';
import { DataRepository, StoredDataSummary } from '../../domain/data.repository';
import { IngestedData } from '../../domain/ingested-data.aggregate';
import { UnknownCursorError } from '../../domain/ingestion.errors';
import { IngestedDataMapper, IngestedDataRow } from './ingested-data.mapper';

interface SummaryRow {
  seq: number;
  id: string;
  partner_id: string;
  timestamp: string;
  payload?: string;
}

/**
 * TypeORM adapter. Statements are plain parameterised SQL run through the DataSource, which
 * prepares and caches them: the hot path is one INSERT, with no re-select and no ORM unit of
 * work. Lists walk the `seq` keyset in chunks, so no query ever holds the whole table.
 */
@Injectable()
export class TypeOrmDataRepository extends DataRepository {
  static readonly CHUNK_SIZE = 1000;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    super();
  }

  async save(data: IngestedData): Promise<void> {
    const row = IngestedDataMapper.toRow(data);
    await this.dataSource.query(
      'INSERT INTO "ingested_data" ("id", "partner_id", "timestamp", "payload") VALUES (?, ?, ?, ?)',
      [row.id, row.partner_id, row.timestamp, row.payload],
    );
  }

  async findById(id: DataId): Promise<IngestedData | null> {
    const rows: IngestedDataRow[] = await this.dataSource.query(
      'SELECT "id", "partner_id", "timestamp", "payload" FROM "ingested_data" WHERE "id" = ?',
      [id.value],
    );
    return rows.length === 0 ? null : IngestedDataMapper.toDomain(rows[0]);
  }

  async findPage(criteria: DataListCriteria, limit: number): Promise<StoredDataSummary[]> {
    const afterSeq = await this.seqAfter(criteria);
    const rows = await this.selectSummaries(criteria, afterSeq, undefined, limit);
    return rows.map(toSummary);
  }

  async streamChunks(criteria: DataListCriteria): Promise<AsyncIterable<StoredDataSummary[]>> {
    const afterSeq = await this.seqAfter(criteria);
    // The list is what was committed when it started: rows added while it streams wait for the next read.
    const [{ last }] = await this.dataSource.query<Array<{ last: number | null }>>(
      'SELECT MAX("seq") AS "last" FROM "ingested_data"',
    );
    return this.chunksBetween(criteria, afterSeq, last ?? 0);
  }

  private async *chunksBetween(
    criteria: DataListCriteria,
    afterSeq: number,
    lastSeq: number,
  ): AsyncIterable<StoredDataSummary[]> {
    let cursor = afterSeq;
    while (cursor < lastSeq) {
      const rows = await this.selectSummaries(criteria, cursor, lastSeq, TypeOrmDataRepository.CHUNK_SIZE);
      if (rows.length > 0) yield rows.map(toSummary);
      if (rows.length < TypeOrmDataRepository.CHUNK_SIZE) return;
      cursor = rows[rows.length - 1].seq;
    }
  }

  private async seqAfter(criteria: DataListCriteria): Promise<number> {
    if (!criteria.after) return 0;
    const rows: Array<{ seq: number }> = await this.dataSource.query(
      'SELECT "seq" FROM "ingested_data" WHERE "id" = ?',
      [criteria.after.value],
    );
    if (rows.length === 0) throw new UnknownCursorError(criteria.after.value);
    return rows[0].seq;
  }

  private selectSummaries(
    criteria: DataListCriteria,
    afterSeq: number,
    lastSeq: number | undefined,
    limit: number,
  ): Promise<SummaryRow[]> {
    const columns = criteria.includePayload
      ? '"seq", "id", "partner_id", "timestamp", "payload"'
      : '"seq", "id", "partner_id", "timestamp"';
    const conditions = ['"seq" > ?'];
    const parameters: Array<string | number> = [afterSeq];
    if (lastSeq !== undefined) {
      conditions.push('"seq" <= ?');
      parameters.push(lastSeq);
    }
    if (criteria.partnerId) {
      conditions.push('"partner_id" = ?');
      parameters.push(criteria.partnerId.value);
    }
    if (criteria.since) {
      conditions.push('"timestamp" >= ?');
      parameters.push(criteria.since.value);
    }
    if (criteria.until) {
      conditions.push('"timestamp" < ?');
      parameters.push(criteria.until.value);
    }
    parameters.push(limit);
    return this.dataSource.query(
      `SELECT ${columns} FROM "ingested_data" WHERE ${conditions.join(' AND ')} ORDER BY "seq" LIMIT ?`,
      parameters,
    );
  }
}

function toSummary(row: SummaryRow): StoredDataSummary {
  return { id: row.id, partnerId: row.partner_id, timestamp: row.timestamp, payloadJson: row.payload };
}
