import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { IntegrationEventPublisher } from '../ingestion/application/ports/integration-event.publisher';

/** Always up: while the sink is away, records wait in the event log and ingestion goes on. The details say where delivery stands. */
@Injectable()
export class EventDeliveryHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly publisher: IntegrationEventPublisher,
  ) {}

  isHealthy<const Key extends string>(key: Key): HealthIndicatorResult<Key> {
    const { sink, reachable, detail } = this.publisher.state();
    return this.indicators
      .check(key)
      .up({ sink, sink_state: reachable ? 'reachable' : 'unreachable', ...(detail === undefined ? {} : { detail }) });
  }
}
