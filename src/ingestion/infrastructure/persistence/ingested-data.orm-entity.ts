import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * Storage shape of a record (documentation and metadata; the tables come from the
 * migrations of each database, and the adapters use plain SQL). `seq` exists on SQLite only:
 * its rowid, the ingestion order and keyset of the lists there; PostgreSQL orders by `id`.
 * `timestamp` is RFC 3339 UTC text of fixed width on SQLite (text order is time order) and
 * `timestamptz(3)` on PostgreSQL; `payload` is the JSON text exactly as serialised once at
 * ingestion (`json` on PostgreSQL, which keeps the text).
 */
@Entity({ name: 'ingested_data' })
@Index('ix_ingested_data_partner_id_seq', ['partnerId', 'seq'])
@Unique('uq_ingested_data_id', ['id'])
export class IngestedDataOrmEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'varchar', length: 36 })
  id!: string;

  @Column({ name: 'partner_id', type: 'varchar', length: 64 })
  partnerId!: string;

  @Column({ type: 'varchar', length: 24 })
  timestamp!: string;

  @Column({ type: 'text' })
  payload!: string;
}
