import { Global, Injectable, Module } from '@nestjs/common';

/** Out of rotation first (readiness fails, serving goes on as before), then draining (no new connection). */
@Injectable()
export class ShutdownState {
  private phase: 'serving' | 'leaving-rotation' | 'draining' = 'serving';
  private readonly drainListeners: Array<() => void> = [];

  begin(): void {
    this.phase = 'leaving-rotation';
  }

  drain(): void {
    if (this.phase === 'draining') return;
    this.phase = 'draining';
    for (const listener of this.drainListeners) listener();
  }

  /** For what the server must end itself before connections can close: open streams. */
  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  get isShuttingDown(): boolean {
    return this.phase !== 'serving';
  }

  get isDraining(): boolean {
    return this.phase === 'draining';
  }
}

/** Global: readiness (health), the HTTP hooks and the live feed all follow the one shutdown. */
@Global()
@Module({ providers: [ShutdownState], exports: [ShutdownState] })
export class ShutdownStateModule {}
