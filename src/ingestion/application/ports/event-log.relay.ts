/** Port to the relay that delivers the event log to the `IntegrationEventPublisher`, in log order. */
export abstract class EventLogRelay {
  /** New entries were committed: deliver them now rather than at the next poll. */
  abstract wake(): void;
}
