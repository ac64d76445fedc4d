import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * Storage shape of a record. `seq` is the ingestion order (and the keyset cursor of the
 * lists); `timestamp` is RFC 3339 UTC text of fixed width, so text order is time order;
 * `payload` is the JSON text exactly as serialised once at ingestion.
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
