import { CqrsModule, EventBus, EventPublisher, IEvent } from '@nestjs/cqrs';
import { Test, TestingModule } from '@nestjs/testing';
import { Subscription } from 'rxjs';

export interface RecordedEventBus {
  /** A real EventPublisher, bound to a real EventBus. */
  publisher: EventPublisher;
  /** Every event that bus published, in order (a fresh array for each test). */
  published: IEvent[];
  /** Subscribes another observer to the bus, until the end of the test. */
  observe(observer: (event: IEvent) => void): void;
}

/**
 * Registers beforeEach/afterEach that give each test a real CQRS EventBus and record what it
 * publishes; `use` receives them before each test.
 */
export function useRecordedEventBus(use: (bus: RecordedEventBus) => void): void {
  let moduleRef: TestingModule;
  let subscription: Subscription;

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({ imports: [CqrsModule.forRoot()] }).compile();
    const published: IEvent[] = [];
    subscription = moduleRef.get(EventBus).subscribe((event) => published.push(event));
    const bus = moduleRef.get(EventBus);
    use({
      publisher: moduleRef.get(EventPublisher),
      published,
      observe: (observer) => subscription.add(bus.subscribe(observer)),
    });
  });

  afterEach(async () => {
    subscription.unsubscribe();
    await moduleRef.close();
  });
}
