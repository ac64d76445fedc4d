import { Injectable } from '@nestjs/common';

/** Flipped when a shutdown begins, so that readiness fails before the server stops accepting. */
@Injectable()
export class ShutdownState {
  private shuttingDown = false;

  begin(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
