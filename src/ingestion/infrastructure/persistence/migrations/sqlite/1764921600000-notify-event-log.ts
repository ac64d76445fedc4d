import { MigrationInterface } from 'typeorm';

/**
 * Nothing to change: SQLite has no LISTEN/NOTIFY, and its one writer process wakes its own live
 * feed. Kept so that both databases have one history (PostgreSQL's adds the notifying trigger).
 */
export class NotifyEventLog1764921600000 implements MigrationInterface {
  name = 'NotifyEventLog1764921600000';

  async up(): Promise<void> {}

  async down(): Promise<void> {}
}
