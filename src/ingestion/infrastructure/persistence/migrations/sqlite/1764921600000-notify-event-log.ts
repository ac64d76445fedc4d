import { MigrationInterface } from 'typeorm';

/** SQLite has no LISTEN/NOTIFY, and one writer process, which wakes its own live feed: one history, nothing to do. */
export class NotifyEventLog1764921600000 implements MigrationInterface {
  name = 'NotifyEventLog1764921600000';

  async up(): Promise<void> {}

  async down(): Promise<void> {}
}
