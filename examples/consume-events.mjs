// A durable pull consumer of the ingestion service's events (README: "Consuming events"). Copy it and
// replace handle(). Run: NATS_URL=nats://127.0.0.1:4222 CONSUMER_NAME=billing node examples/consume-events.mjs
import { AckPolicy, connect } from 'nats';
import process from 'node:process';

const servers = (process.env.NATS_URL || 'nats://127.0.0.1:4222').split(',');
const stream = process.env.NATS_STREAM || 'INGESTION';
const name = process.env.CONSUMER_NAME || 'billing';
const subject = `ingestion.data-ingested.${process.env.PARTNER_ID || '>'}`;
const maxMessages = Number(process.env.MAX_MESSAGES) || Infinity;

function handle(record) {
  process.stdout.write(`${record.id} ${record.partner_id} ${record.timestamp}\n`);
}

// At least once: a message whose ack was lost or late (ack_wait, 30 s) comes again, so skip ids already handled.
// The last 100,000 ids cover 30 s at 3,000 records/s; across restarts, dedupe where the effect is stored (unique id).
const handled = new Set();
const HANDLED_LIMIT = 100_000;

const connection = await connect({ servers, name: `ingestion-consumer-${name}` });
// Durable: the server keeps the consumer's position, so the next run starts after the last ack.
const manager = await connection.jetstreamManager();
await manager.consumers.add(stream, { durable_name: name, ack_policy: AckPolicy.Explicit, filter_subject: subject });
const consumer = await connection.jetstream().consumers.get(stream, name);
const messages = await consumer.consume();
const stop = () => messages.stop();
process.once('SIGINT', stop).once('SIGTERM', stop);

let received = 0;
for await (const message of messages) {
  const record = message.json();
  if (!handled.has(record.id)) {
    handle(record);
    handled.add(record.id);
    if (handled.size > HANDLED_LIMIT) handled.delete(handled.values().next().value);
  }
  // After handling: a crash before this line means the message comes again (ack_wait, 30 s by default).
  message.ack();
  if (++received === maxMessages) break;
}
// Sends the acks still buffered before closing.
await connection.drain();
