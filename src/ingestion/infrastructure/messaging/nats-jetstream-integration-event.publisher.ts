import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  connect,
  createInbox,
  Events,
  headers,
  JetStreamManager,
  NatsConnection,
  NatsError,
  nanos,
  StorageType,
  StreamConfig,
} from 'nats';
import type { DataIngestedIntegrationEvent } from '../../application/ports/data-ingested.integration-event';
import { DeliveryState, IntegrationEventPublisher } from '../../application/ports/integration-event.publisher';
import { recordJson } from '../http/record-json.serializer';
import { PageAcknowledgements } from './jetstream-page-acknowledgements';

export interface NatsJetStreamPublisherOptions {
  /** NATS_URL: one server or several, comma-separated. */
  servers: string;
  stream: string;
  duplicateWindowS: number;
}

const DATA_INGESTED_SUBJECT_PREFIX = 'ingestion.data-ingested';
const STREAM_SUBJECTS = [`${DATA_INGESTED_SUBJECT_PREFIX}.>`];
const CONNECTION_NAME = 'ingestion-service';

const ACK_TIMEOUT_MS = 5_000;
const MAX_ACKS_IN_FLIGHT = 256;
const STREAM_API_TIMEOUT_MS = 5_000;
const DIAL_TIMEOUT_MS = 2_000;
const RECONNECT_WAIT_MS = 500;
const SHUTDOWN_DRAIN_MS = 2_000;
const SHUTDOWN_CLOSE_MS = 1_000;
const STREAM_NOT_FOUND = 10059;

/** Delivery to NATS JetStream; see CONTRACT.md, "Delivery to NATS JetStream". */
export class NatsJetStreamIntegrationEventPublisher
  extends IntegrationEventPublisher
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  readonly sink: string;
  private readonly logger = new Logger(NatsJetStreamIntegrationEventPublisher.name);
  private readonly servers: string[];

  private connection?: NatsConnection;
  private connected = false;
  /** Bumped on every disconnect, so that work begun on an older connection cannot report the new one reachable. */
  private connectionGeneration = 0;
  private streamReady?: Promise<void>;
  private connecting = false;
  private retryTimer?: NodeJS.Timeout;
  private shuttingDown = false;

  /** `undefined` until the first attempt settles: the first success is worth a line, as is the first failure. */
  private reachable?: boolean;
  private unreachableReason = 'not connected yet';
  private storageMismatchWarned = false;

  private acknowledgements?: { connection: NatsConnection; prefix: string };
  private readonly pages = new Map<string, PageAcknowledgements>();
  private pageCount = 0;

  constructor(private readonly options: NatsJetStreamPublisherOptions) {
    super();
    this.sink = `nats-jetstream:${options.stream}`;
    this.servers = options.servers
      .split(',')
      .map((server) => server.trim())
      .filter((server) => server !== '');
  }

  /**
   * Starts connecting in the background. Not with nats.js' `waitOnFirstConnect`: until the first connection its
   * promise neither settles nor can be cancelled, and it never says why it cannot connect; a loop of single
   * attempts can be stopped at shutdown and names the reason.
   */
  onApplicationBootstrap(): void {
    this.connect();
  }

  connect(): void {
    if (this.connection !== undefined || this.connecting || this.shuttingDown) return;
    void this.attemptConnection();
  }

  async publish(events: readonly DataIngestedIntegrationEvent[]): Promise<void> {
    const connection = this.connection;
    if (connection === undefined || !this.connected) {
      throw new Error(`NATS at ${this.serverName()} is unreachable: ${this.unreachableReason}`);
    }
    const generation = this.connectionGeneration;
    try {
      await this.ensureStream(connection);
      if (events.length > 0) await this.publishInOrder(connection, events);
    } catch (error) {
      this.markUnreachable(this.serverName(), describeError(error), generation);
      throw error;
    }
    this.markReachable(this.serverName(), generation);
  }

  state(): DeliveryState {
    return this.reachable === true
      ? { sink: this.sink, reachable: true }
      : { sink: this.sink, reachable: false, detail: this.unreachableReason };
  }

  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    clearTimeout(this.retryTimer);
    const connection = this.connection;
    const wasConnected = this.connected;
    this.connection = undefined;
    this.connected = false;
    if (connection === undefined || connection.isClosed()) return;
    try {
      if (wasConnected) await withDeadline(connection.drain(), SHUTDOWN_DRAIN_MS);
    } catch {
      // Closing below is all that is left to do.
    }
    // drain() can resolve with the connection still reconnecting; only close() stops that loop.
    if (!connection.isClosed()) await withDeadline(connection.close(), SHUTDOWN_CLOSE_MS).catch(() => undefined);
  }

  private async attemptConnection(): Promise<void> {
    this.connecting = true;
    try {
      const connection = await connect({
        servers: this.servers,
        name: CONNECTION_NAME,
        timeout: DIAL_TIMEOUT_MS,
        maxReconnectAttempts: -1,
        reconnectTimeWait: RECONNECT_WAIT_MS,
        waitOnFirstConnect: false,
      });
      if (this.shuttingDown) {
        await connection.close().catch(() => undefined);
        return;
      }
      this.adopt(connection);
    } catch (error) {
      this.markUnreachable(this.servers.join(','), describeError(error), this.connectionGeneration);
      if (!this.shuttingDown) this.retryTimer = setTimeout(() => this.connect(), RECONNECT_WAIT_MS);
    } finally {
      this.connecting = false;
    }
  }

  private adopt(connection: NatsConnection): void {
    this.connection = connection;
    this.connected = true;
    this.followStatus(connection).catch((error: unknown) =>
      this.markUnreachable(this.serverName(), describeError(error), this.connectionGeneration),
    );
    void connection.closed().then((error) => this.onClosed(connection, error));
    this.prepareStream(connection);
  }

  private async followStatus(connection: NatsConnection): Promise<void> {
    for await (const status of connection.status()) {
      if (this.connection !== connection) return;
      if (status.type === Events.Disconnect) {
        this.connected = false;
        this.streamReady = undefined;
        this.connectionGeneration++;
        this.markUnreachable(String(status.data), 'connection lost', this.connectionGeneration);
      } else if (status.type === Events.Reconnect) {
        this.connected = true;
        this.prepareStream(connection);
      }
    }
  }

  private onClosed(connection: NatsConnection, error: void | Error): void {
    if (this.connection !== connection || this.shuttingDown) return;
    this.connection = undefined;
    this.connected = false;
    this.streamReady = undefined;
    this.connectionGeneration++;
    this.markUnreachable(
      this.serverName(),
      error ? describeError(error) : 'connection closed',
      this.connectionGeneration,
    );
    this.connect();
  }

  /** Checks the stream as soon as a connection is up, so that readiness knows before the relay's next page. */
  private prepareStream(connection: NatsConnection): void {
    const generation = this.connectionGeneration;
    this.ensureStream(connection).then(
      () => this.markReachable(this.serverName(), generation),
      (error) => this.markUnreachable(this.serverName(), describeError(error), generation),
    );
  }

  private ensureStream(connection: NatsConnection): Promise<void> {
    if (this.streamReady === undefined) {
      const ready = this.createOrUpdateStream(connection);
      this.streamReady = ready;
      ready.catch(() => {
        if (this.streamReady === ready) this.streamReady = undefined;
      });
    }
    return this.streamReady;
  }

  private async createOrUpdateStream(connection: NatsConnection): Promise<void> {
    const manager = await connection.jetstreamManager({ timeout: STREAM_API_TIMEOUT_MS });
    const { stream, duplicateWindowS } = this.options;
    const duplicateWindow = nanos(duplicateWindowS * 1000);
    const existing = await streamConfig(manager, stream);
    if (existing === undefined) {
      await manager.streams.add({
        name: stream,
        subjects: STREAM_SUBJECTS,
        storage: StorageType.File,
        duplicate_window: duplicateWindow,
      });
      this.logger.log(`Created the JetStream stream ${stream} (${STREAM_SUBJECTS.join(', ')}).`);
      return;
    }
    if (existing.storage !== StorageType.File && !this.storageMismatchWarned) {
      this.storageMismatchWarned = true;
      this.logger.warn(
        `The JetStream stream ${stream} keeps its messages in ${existing.storage} storage, not in files; ` +
          'a broker restart loses them. Publishing anyway.',
      );
    }
    if (!sameSubjects(existing.subjects, STREAM_SUBJECTS) || existing.duplicate_window !== duplicateWindow) {
      await manager.streams.update(stream, { subjects: STREAM_SUBJECTS, duplicate_window: duplicateWindow });
      this.logger.log(
        `Updated the JetStream stream ${stream}: subjects ${STREAM_SUBJECTS.join(', ')}, ` +
          `duplicate window ${duplicateWindowS} s (were ${(existing.subjects ?? []).join(', ')}, ` +
          `${existing.duplicate_window / 1e9} s).`,
      );
    }
  }

  /**
   * Many acknowledgements in flight rather than one round trip per event; the messages still reach the stream in
   * order, one connection's publications being kept in order. After a failure nothing more is sent, so that the
   * relay's resend of the page leaves as little as possible out of order.
   *
   * Published as JetStream's client does it (a message with `Nats-Msg-Id` and a reply subject the stream
   * acknowledges on), but with one subscription and one timer for the page rather than a request, a timer and a
   * promise per message: measured here, 8.7 µs of client CPU per message against 55 µs through `js.publish`.
   */
  private async publishInOrder(connection: NatsConnection, events: readonly DataIngestedIntegrationEvent[]) {
    const replyTo = `${this.acknowledgementPrefix(connection)}.${++this.pageCount}`;
    const page = new PageAcknowledgements(this.options.stream);
    this.pages.set(replyTo, page);
    try {
      for (const [index, event] of events.entries()) {
        if (index >= MAX_ACKS_IN_FLIGHT) await page.waitFor(index - MAX_ACKS_IN_FLIGHT + 1, ACK_TIMEOUT_MS);
        if (page.failed) break;
        const messageHeaders = headers();
        messageHeaders.set('Nats-Msg-Id', event.id);
        messageHeaders.set('Content-Type', 'application/json');
        connection.publish(`${DATA_INGESTED_SUBJECT_PREFIX}.${event.partnerId}`, recordJson(event), {
          headers: messageHeaders,
          reply: replyTo,
        });
      }
      await page.waitFor(events.length, ACK_TIMEOUT_MS);
    } finally {
      this.pages.delete(replyTo);
    }
  }

  /** One subscription per connection for every page's acknowledgements (nats.js renews it after a reconnect). */
  private acknowledgementPrefix(connection: NatsConnection): string {
    if (this.acknowledgements?.connection !== connection) {
      const prefix = createInbox();
      connection.subscribe(`${prefix}.*`, {
        callback: (error, message) => {
          if (error) for (const page of this.pages.values()) page.fail(error);
          else this.pages.get(message.subject)?.receive(message);
        },
      });
      this.acknowledgements = { connection, prefix };
    }
    return this.acknowledgements.prefix;
  }

  private markReachable(server: string, generation: number): void {
    if (generation !== this.connectionGeneration || this.shuttingDown || this.reachable === true) return;
    this.logger.log(
      this.reachable === false
        ? `NATS JetStream at ${server} is reachable again.`
        : `NATS JetStream at ${server} is reachable.`,
    );
    this.reachable = true;
  }

  private markUnreachable(server: string, reason: string, generation: number): void {
    if (generation !== this.connectionGeneration || this.shuttingDown) return;
    this.unreachableReason = reason;
    if (this.reachable === false) return;
    this.logger.warn(
      `NATS JetStream at ${server} is unreachable (${reason}); events wait in the event log until it is back.`,
    );
    this.reachable = false;
  }

  private serverName(): string {
    return this.connection?.getServer() || this.servers.join(',');
  }
}

async function streamConfig(manager: JetStreamManager, stream: string): Promise<StreamConfig | undefined> {
  try {
    return (await manager.streams.info(stream)).config;
  } catch (error) {
    if (error instanceof NatsError && error.api_error?.err_code === STREAM_NOT_FOUND) return undefined;
    throw error;
  }
}

function sameSubjects(actual: readonly string[] | undefined, wanted: readonly string[]): boolean {
  const actualSet = new Set(actual ?? []);
  return actualSet.size === wanted.length && wanted.every((subject) => actualSet.has(subject));
}

function describeError(error: unknown): string {
  if (error instanceof NatsError && error.api_error !== undefined) return error.api_error.description;
  if (error instanceof NatsError && error.code === '503') return 'no JetStream responders (503)';
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function withDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), deadlineMs)));
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
