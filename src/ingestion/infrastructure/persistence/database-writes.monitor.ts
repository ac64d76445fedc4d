import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { StorageFault, storageFault, translateDatabaseError, unavailableReason } from './database-errors';

export interface WriteFault {
  fault: StorageFault;
  reason: string;
}

/** While a storage fault is recorded, readiness probes writes itself: an unready instance gets no traffic to retry. */
export class DatabaseWritesMonitor {
  private readonly logger = new Logger('Database');
  private recorded?: WriteFault;
  private probing?: Promise<void>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly probeBytes: number,
  ) {}

  /** A storage fault of `write` is also recorded, so that readiness answers 503 until writes work again. */
  async guard<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      this.recordFailure(error);
      throw translateDatabaseError(error);
    }
  }

  recordFailure(error: unknown): void {
    const fault = storageFault(error);
    if (fault === undefined) return;
    const reason = unavailableReason(error);
    if (this.recorded === undefined) {
      this.logger.warn(`writes fail (${reason}): not ready until a probe write succeeds`);
    }
    this.recorded = { fault, reason };
  }

  async currentFault(): Promise<WriteFault | undefined> {
    if (this.recorded === undefined) return undefined;
    this.probing ??= this.probe().finally(() => (this.probing = undefined));
    await this.probing;
    return this.recorded;
  }

  private async probe(): Promise<void> {
    const recorded = this.recorded;
    try {
      // As large as the largest record: after a failed WAL append SQLite reuses the space it took, so a small probe
      // would succeed on a disk with no byte free.
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

export async function writeStorageProbe(dataSource: DataSource, ballast: Buffer): Promise<void> {
  const values = dataSource.options.type === 'postgres' ? '($1, $2, $3)' : '(?, ?, ?)';
  await dataSource.query(
    `INSERT INTO "storage_probe" ("id", "probed_at", "ballast") VALUES ${values}
     ON CONFLICT ("id") DO UPDATE SET "probed_at" = excluded."probed_at", "ballast" = excluded."ballast"`,
    [1, new Date().toISOString(), ballast],
  );
}
