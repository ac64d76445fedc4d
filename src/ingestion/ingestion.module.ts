import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { AccessModule } from '../access/access.module';
import { IngestDataBatchHandler } from './application/commands/ingest-data-batch.handler';
import { IngestDataHandler } from './application/commands/ingest-data.handler';
import { PurgeExpiredIdempotencyKeysHandler } from './application/commands/purge-expired-idempotency-keys.handler';
import { PublishDataIngestedHandler } from './application/commands/publish-data-ingested.handler';
import { CountUnhandledExceptionsListener } from './application/events/count-unhandled-exceptions.listener';
import { LogDataIngestedHandler } from './application/events/log-data-ingested.handler';
import { EventLogRelay } from './application/ports/event-log.relay';
import { IngestionMetrics } from './application/ports/ingestion.metrics';
import { IntegrationEventPublisher } from './application/ports/integration-event.publisher';
import { LiveFeed } from './application/ports/live-feed';
import { RecordReadModel } from './application/ports/record.read-model';
import { GetAllDataHandler } from './application/queries/get-all-data.handler';
import { GetDataByIdHandler } from './application/queries/get-data-by-id.handler';
import { GetDataByPartnerIdHandler } from './application/queries/get-data-by-partner-id.handler';
import { StreamDataHandler } from './application/queries/stream-data.handler';
import { IngestionSaga } from './application/sagas/ingestion.saga';
import { DataRepository } from './domain/data.repository';
import { IdempotencyPolicy } from './domain/idempotency.policy';
import { IngestedDataFactory } from './domain/ingested-data.factory';
import { MAX_PAYLOAD_DEPTH } from './domain/payload.value-object';
import { IdempotencyKeyPurgeScheduler } from './infrastructure/scheduling/idempotency-key-purge.scheduler';
import { IngestController } from './infrastructure/http/ingest.controller';
import { StreamController } from './infrastructure/http/stream.controller';
import { DebuggerController } from './infrastructure/http/debugger/debugger.controller';
import { InProcessIntegrationEventPublisher } from './infrastructure/messaging/in-process-integration-event.publisher';
import { LeasedEventLogRelay } from './infrastructure/messaging/leased-event-log.relay';
import { NatsJetStreamIntegrationEventPublisher } from './infrastructure/messaging/nats-jetstream-integration-event.publisher';
import { PrometheusEventDeliveryMetrics } from './infrastructure/metrics/prometheus-event-delivery.metrics';
import { EventLogStore } from './infrastructure/persistence/event-log.store';
import { PrometheusIngestionMetrics } from './infrastructure/metrics/prometheus-ingestion.metrics';
import { PrometheusLiveFeedMetrics } from './infrastructure/metrics/prometheus-live-feed.metrics';
import { EventLogNotifications } from './infrastructure/persistence/event-log.notifications';
import { EventLogLiveFeed } from './infrastructure/streaming/event-log.live-feed';
import { ShutdownState } from '../health/shutdown-state';
import { DatabaseWritesMonitor } from './infrastructure/persistence/database-writes.monitor';
import { PostgresDataRepository } from './infrastructure/persistence/postgres-data.repository';
import { SqliteDataRepository } from './infrastructure/persistence/sqlite-data.repository';
import { SqlRecordReadModel } from './infrastructure/persistence/sql-record.read-model';
import { exportConnections, type Environment } from '../config/environment';

/** Largest probe write readiness makes while writes fail (a record of the largest size, up to this). */
const MAX_WRITE_PROBE_BYTES = 1024 * 1024;

@Module({
  // AccessModule: the guards.
  imports: [AccessModule],
  controllers: [IngestController, StreamController, DebuggerController],
  providers: [
    {
      provide: IngestedDataFactory,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        new IngestedDataFactory({
          maxBytes: config.get('MAX_PAYLOAD_BYTES', { infer: true }),
          maxDepth: MAX_PAYLOAD_DEPTH,
          maxBatchRecords: config.get('MAX_BATCH_RECORDS', { infer: true }),
        }),
    },
    {
      provide: IdempotencyPolicy,
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) =>
        new IdempotencyPolicy(config.get('IDEMPOTENCY_TTL_HOURS', { infer: true })),
    },
    IngestDataBatchHandler,
    PurgeExpiredIdempotencyKeysHandler,
    IdempotencyKeyPurgeScheduler,
    {
      provide: DatabaseWritesMonitor,
      inject: [DataSource, ConfigService],
      useFactory: (dataSource: DataSource, config: ConfigService<Environment, true>) =>
        new DatabaseWritesMonitor(
          dataSource,
          Math.min(config.get('MAX_PAYLOAD_BYTES', { infer: true }), MAX_WRITE_PROBE_BYTES),
        ),
    },
    {
      // One port, two adapters: the database that DATABASE_URL selected decides.
      provide: DataRepository,
      inject: [DataSource, DatabaseWritesMonitor],
      useFactory: (dataSource: DataSource, writesMonitor: DatabaseWritesMonitor): DataRepository =>
        dataSource.options.type === 'postgres'
          ? new PostgresDataRepository(dataSource, writesMonitor)
          : new SqliteDataRepository(dataSource, writesMonitor),
    },
    {
      provide: RecordReadModel,
      inject: [DataSource, ConfigService],
      useFactory: (dataSource: DataSource, config: ConfigService<Environment, true>) =>
        new SqlRecordReadModel(dataSource, {
          maxOpen: exportConnections({
            DATABASE_EXPORT_CONNECTIONS: config.get('DATABASE_EXPORT_CONNECTIONS', { infer: true }),
            DATABASE_POOL_SIZE: config.get('DATABASE_POOL_SIZE', { infer: true }),
          }),
          stallTimeoutMs: config.get('EXPORT_STALL_TIMEOUT_MS', { infer: true }),
        }),
    },
    { provide: IngestionMetrics, useClass: PrometheusIngestionMetrics },
    InProcessIntegrationEventPublisher,
    {
      provide: IntegrationEventPublisher,
      inject: [ConfigService, InProcessIntegrationEventPublisher],
      useFactory: (config: ConfigService<Environment, true>, inProcess: InProcessIntegrationEventPublisher) => {
        const servers = config.get('NATS_URL', { infer: true });
        if (servers === '') return inProcess;
        return new NatsJetStreamIntegrationEventPublisher({
          servers,
          stream: config.get('NATS_STREAM', { infer: true }),
          duplicateWindowS: config.get('NATS_DUPLICATE_WINDOW_S', { infer: true }),
        });
      },
    },
    {
      provide: EventLogStore,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new EventLogStore(dataSource),
    },
    PrometheusEventDeliveryMetrics,
    {
      provide: LeasedEventLogRelay,
      inject: [EventLogStore, IntegrationEventPublisher, PrometheusEventDeliveryMetrics, ConfigService],
      useFactory: (
        log: EventLogStore,
        publisher: IntegrationEventPublisher,
        metrics: PrometheusEventDeliveryMetrics,
        config: ConfigService<Environment, true>,
      ) =>
        new LeasedEventLogRelay(log, publisher, metrics, {
          pollIntervalMs: config.get('EVENT_RELAY_POLL_INTERVAL_MS', { infer: true }),
          leaseMs: config.get('EVENT_RELAY_LEASE_MS', { infer: true }),
        }),
    },
    { provide: EventLogRelay, useExisting: LeasedEventLogRelay },
    PrometheusLiveFeedMetrics,
    {
      provide: LiveFeed,
      inject: [EventLogStore, PrometheusLiveFeedMetrics, ConfigService, DataSource, ShutdownState],
      useFactory: (
        log: EventLogStore,
        metrics: PrometheusLiveFeedMetrics,
        config: ConfigService<Environment, true>,
        dataSource: DataSource,
        shutdown: ShutdownState,
      ) => {
        const feed = new EventLogLiveFeed(
          log,
          metrics,
          {
            maxClients: config.get('STREAM_MAX_CLIENTS', { infer: true }),
            maxLag: config.get('STREAM_MAX_LAG', { infer: true }),
            pollIntervalMs: config.get('EVENT_RELAY_POLL_INTERVAL_MS', { infer: true }),
          },
          (wake) => EventLogNotifications.for(dataSource, wake),
        );
        // Open streams end when the drain starts, not at the shutdown deadline: connections can then close.
        shutdown.onDrain(() => feed.shutDown());
        return feed;
      },
    },
    StreamDataHandler,
    IngestDataHandler,
    PublishDataIngestedHandler,
    GetDataByIdHandler,
    GetAllDataHandler,
    GetDataByPartnerIdHandler,
    LogDataIngestedHandler,
    IngestionSaga,
    CountUnhandledExceptionsListener,
  ],
  exports: [
    InProcessIntegrationEventPublisher,
    IntegrationEventPublisher,
    LeasedEventLogRelay,
    CountUnhandledExceptionsListener,
    DatabaseWritesMonitor,
  ],
})
export class IngestionModule {}
