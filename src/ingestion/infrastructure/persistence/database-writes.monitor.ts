import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { StorageFault, storageFault, unavailableReason } from './database-errors';

export interface WriteFault {
  fault: StorageFault;
  /** The driver's code, e.g. SQLITE_FULL or 25006. */
  reason: string;
}

/**
 * Whether this instance's writes reach the database. A write that failed on a storage fault
 * (full, read-only, I/O error) is recorded; while one is, `currentFault` first tries a
 * committed write into `storage_probe` and forgets the fault once that succeeds. So readiness
 * finds out by itself that writes work again, also while the gateway sends it no traffic.
 * Writes are never refused because of a recorded fault: each one tries.
 *
 * The probe writes `probeBytes` (a record of the largest size): after SQLite failed to
 * append a write to its WAL, the space that write took is still allocated and the next
 * write reuses it, so a small probe succeeds on a disk with no byte free.
 */
export class DatabaseWritesMonitor {
  private readonly logger = new Logger('Database');
  private recorded?: WriteFault;
  private probing?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly probeBytes: number,
  ) {}

  /** Takes the error of a failed write; only a storage fault is recorded. */
  recordFailure(error: unknown): void {
    const fault = storageFault(error);
    if (fault === undefined) return;
    const reason = unavailableReason(error);
    if (this.recorded === undefined) {
      this.logger.warn(`writes fail (${reason}): not ready until a probe write succeeds`);
    }
    this.recorded = { fault, reason };
  }

  /** The storage fault that makes writes fail, or undefined once a probe write has succeeded. */
  async currentFault(): Promise<WriteFault | undefined> {
    if (this.recorded === undefined) return undefined;
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
    await this.probing;
    return this.recorded;
  }

  private async probe(): Promise<void> {
    const recorded = this.recorded;
    try {
      await writeStorageProbe(this.dataSource, randomBytes(this.probeBytes));
    } catch (error) {
      this.recordFailure(error);
      return;
    }
    // A write that failed while the probe ran is newer news than the probe.
    if (this.recorded !== recorded) return;
    this.recorded = undefined;
    this.logger.log('writes work again: a probe write succeeded');
  }
}

/** One committed write of `ballast` into the one row of `storage_probe` (same table on both databases). */
export async function writeStorageProbe(dataSource: DataSource, ballast: Buffer): Promise<void> {
  const values = dataSource.options.type === 'postgres' ? '($1, $2, $3)' : '(?, ?, ?)';
  await dataSource.query(
    `INSERT INTO "storage_probe" ("id", "probed_at", "ballast") VALUES ${values}
     ON CONFLICT ("id") DO UPDATE SET "probed_at" = excluded."probed_at", "ballast" = excluded."ballast"`,
    [1, new Date().toISOString(), ballast],
  );
}
