import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { UnhandledExceptionBus, UnhandledExceptionInfo } from '@nestjs/cqrs';
import { Subscription } from 'rxjs';
import { IngestionMetrics } from '../ports/ingestion.metrics';

// Counted by cause, not handler: the bus never names the handler. The EventBus already logs each stack.
@Injectable()
export class CountUnhandledExceptionsListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CountUnhandledExceptionsListener.name);
  private readonly counts = new Map<string, number>();
  private subscription?: Subscription;

  constructor(
    private readonly unhandledExceptions: UnhandledExceptionBus,
    private readonly metrics: IngestionMetrics,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.unhandledExceptions.subscribe((info) => this.count(info));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private count(info: UnhandledExceptionInfo): void {
    const cause = causeName(info.cause);
    const count = (this.counts.get(cause) ?? 0) + 1;
    this.counts.set(cause, count);
    this.metrics.eventHandlerFailed(cause);
    this.logger.warn(`event handling failed in ${cause} (failures so far: ${count})`);
  }
}

function causeName(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (typeof cause === 'object' && cause !== null) return cause.constructor.name;
  return 'unknown';
}
