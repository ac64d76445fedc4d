import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { UnhandledExceptionBus, UnhandledExceptionInfo } from '@nestjs/cqrs';
import { Subscription } from 'rxjs';
import { IngestionMetrics } from '../ports/ingestion.metrics';

/** @nestjs/cqrs's metadata keys (its decorators set them; its index does not export them). */
const EVENTS_HANDLER_METADATA = '__eventsHandler__';
const COMMAND_HANDLER_METADATA = '__commandHandler__';
const SAGA_METADATA = '__saga__';

type Class = abstract new (...args: never[]) => unknown;

/**
 * Listeners, sagas and saga-triggered commands run after the response is decided: their
 * failures reach the UnhandledExceptionBus (the EventBus already logs them with a stack).
 * This counts each one against the handler that failed (`event_handler_failures_total`)
 * and logs a warning with the running count.
 *
 * The bus reports the cause (the event, the command, or a saga's name), not the handler;
 * the handler is found from the CQRS decorators of the app's providers. A command has one
 * handler. An event with several listeners is counted against all of them, joined by `|`:
 * the bus does not say which one threw.
 */
@Injectable()
export class CountUnhandledExceptionsListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(CountUnhandledExceptionsListener.name);
  private readonly counts = new Map<string, number>();
  private handlersByCause = new Map<unknown, string>();
  private subscription?: Subscription;

  constructor(
    private readonly unhandledExceptions: UnhandledExceptionBus,
    private readonly metrics: IngestionMetrics,
    private readonly discovery: DiscoveryService,
  ) {}

  onApplicationBootstrap(): void {
    this.handlersByCause = this.findHandlers();
    this.subscription = this.unhandledExceptions.subscribe((info) => this.count(info));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  /** The handler (or handlers) a failure with this cause is counted against. */
  handlerOf(cause: unknown): string {
    if (typeof cause === 'string') return this.handlersByCause.get(cause) ?? cause;
    if (typeof cause === 'object' && cause !== null) {
      return this.handlersByCause.get(cause.constructor) ?? cause.constructor.name;
    }
    return 'unknown';
  }

  private count(info: UnhandledExceptionInfo): void {
    const handler = this.handlerOf(info.cause);
    const count = (this.counts.get(handler) ?? 0) + 1;
    this.counts.set(handler, count);
    this.metrics.eventHandlerFailed(handler);
    this.logger.warn(`event handling failed in ${handler} (failures so far: ${count})`);
  }

  private findHandlers(): Map<unknown, string> {
    const names = new Map<unknown, string[]>();
    const add = (cause: unknown, handler: string) => names.set(cause, [...(names.get(cause) ?? []), handler]);
    for (const wrapper of this.discovery.getProviders()) {
      const { metatype } = wrapper;
      if (typeof metatype !== 'function' || !wrapper.isDependencyTreeStatic()) continue;
      const handlerClass = metatype as Class;
      const events = Reflect.getMetadata(EVENTS_HANDLER_METADATA, handlerClass) as unknown[] | undefined;
      for (const event of events ?? []) add(event, handlerClass.name);
      const command: unknown = Reflect.getMetadata(COMMAND_HANDLER_METADATA, handlerClass);
      if (command !== undefined) add(command, handlerClass.name);
      // A saga's failure names the saga (its property), e.g. "dataIngested".
      const sagas = Reflect.getMetadata(SAGA_METADATA, handlerClass) as string[] | undefined;
      for (const saga of sagas ?? []) add(saga, `${handlerClass.name}.${saga}`);
    }
    return new Map([...names].map(([cause, handlers]) => [cause, [...new Set(handlers)].sort().join('|')]));
  }
}
