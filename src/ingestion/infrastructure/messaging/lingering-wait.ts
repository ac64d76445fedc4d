/**
 * The pause of a reader that follows the event log: a wake-up turns a poll's wait into a short linger,
 * so that records committed together are read together (under load, a read per record would cost a
 * query per record), and leaves a linger as it is.
 */
export class LingeringWait {
  private wakeUp?: () => void;
  private endNow?: () => void;

  constructor(private readonly lingerMs: number) {}

  /** `ms` 0: the next turn of the event loop. */
  for(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let immediate: NodeJS.Immediate | undefined;
      const done = (): void => {
        clearTimeout(timer);
        if (immediate !== undefined) clearImmediate(immediate);
        this.wakeUp = undefined;
        this.endNow = undefined;
        resolve();
      };
      if (ms === 0) immediate = setImmediate(done);
      else timer = setTimeout(done, ms);
      this.endNow = done;
      this.wakeUp = wakeable
        ? () => {
            this.wakeUp = undefined;
            clearTimeout(timer);
            timer = setTimeout(done, this.lingerMs);
          }
        : undefined;
    });
  }

  wake(): void {
    this.wakeUp?.();
  }

  /** Ends the current wait at once: the reader is stopping. */
  end(): void {
    this.endNow?.();
  }
}
