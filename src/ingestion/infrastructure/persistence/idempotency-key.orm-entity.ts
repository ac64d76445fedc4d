import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** Storage shape of an idempotency claim: a request's key, its fingerprint and its response. */
@Entity({ name: 'idempotency_keys' })
@Index('ix_idempotency_keys_expires_at', ['expiresAt'])
export class IdempotencyKeyOrmEntity {
  /** sha256 (hex) of the sorted, distinct partner ids that the request names. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  scope!: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key!: string;

  @Column({ type: 'varchar', length: 64 })
  fingerprint!: string;

  @Column({ type: 'integer' })
  status!: number;

  @Column({ type: 'text' })
  response!: string;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  @Column({ name: 'expires_at', type: 'varchar', length: 24 })
  expiresAt!: string;
}
