import { ExportLimitReachedError } from '../../domain/ingestion.errors';

/** On PostgreSQL each streamed list holds a pooled connection and a snapshot; on SQLite exports cost CPU. */
export class ExportSlots {
  private taken = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.taken;
  }

  /** The function returned gives the slot back once, however often it is called. */
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
