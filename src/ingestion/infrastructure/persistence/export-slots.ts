import { ExportLimitReachedError } from '../../domain/ingestion.errors';

/**
 * The streamed lists one instance serves at once. On PostgreSQL each holds a pooled
 * connection and a snapshot while it streams; the limit keeps the rest of the pool for
 * ingestion. On SQLite it bounds the CPU that exports take.
 */
export class ExportSlots {
  private taken = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.taken;
  }

  /** Takes a slot or throws `ExportLimitReachedError`; the function returned gives it back, once however often it is called. */
  take(): () => void {
    if (this.taken >= this.limit) throw new ExportLimitReachedError(this.limit);
    this.taken += 1;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.taken -= 1;
    };
  }
}
