/**
 * A wake-up turns a poll's wait into a short linger, so that records committed together are read
 * together (under load, a read per record would cost a query per record), and leaves a linger as it is.
 */
export class LingeringWait {
  private wakeUp?: () => void;
  private endNow?: () => void;

  constructor(private readonly lingerMs: () => number) {}

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
            timer = setTimeout(done, this.lingerMs());
          }
        : undefined;
    });
  }

  wake(): void {
    this.wakeUp?.();
  }

  end(): void {
    this.endNow?.();
  }
}
