import { Injectable } from '@nestjs/common';

/**
 * A shutdown first takes the instance out of rotation (readiness fails while it still serves as before), then drains:
 * no new connection is accepted, and every response asks its client to close the connection.
 */
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
