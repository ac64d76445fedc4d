import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { UnhandledExceptionBus, UnhandledExceptionInfo } from '@nestjs/cqrs';
import { Subscription } from 'rxjs';

/**
 * Listeners, sagas and saga-triggered commands run after the response is decided: their
 * failures reach the UnhandledExceptionBus (the EventBus already logs them). This keeps a
 * count per event or command type, for operators and tests.
 */
@Injectable()
export class CountUnhandledExceptionsListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(CountUnhandledExceptionsListener.name);
  private readonly counts = new Map<string, number>();
  private subscription?: Subscription;

  constructor(private readonly unhandledExceptions: UnhandledExceptionBus) {}

  onModuleInit(): void {
    this.subscription = this.unhandledExceptions.subscribe((info) => this.count(info));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  failures(cause?: string): number {
    if (cause !== undefined) return this.counts.get(cause) ?? 0;
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  private count(info: UnhandledExceptionInfo): void {
    const cause = causeName(info.cause);
    this.counts.set(cause, (this.counts.get(cause) ?? 0) + 1);
    this.logger.warn(`event handling failed for ${cause} (failures so far: ${this.counts.get(cause)})`);
  }
}

function causeName(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (typeof cause === 'object' && cause !== null) return cause.constructor.name;
  return 'unknown';
}
