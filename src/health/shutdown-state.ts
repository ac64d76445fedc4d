import { Injectable } from '@nestjs/common';

/** Out of rotation first (readiness fails, serving goes on as before), then draining (no new connection). */
@Injectable()
export class ShutdownState {
  private phase: 'serving' | 'leaving-rotation' | 'draining' = 'serving';

  begin(): void {
    this.phase = 'leaving-rotation';
  }

  drain(): void {
    this.phase = 'draining';
  }

  get isShuttingDown(): boolean {
    return this.phase !== 'serving';
  }

  get isDraining(): boolean {
    return this.phase === 'draining';
  }
}
