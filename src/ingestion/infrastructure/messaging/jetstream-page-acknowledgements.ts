import type { Msg } from 'nats';

/** A JetStream publish acknowledgement as the stream sends it back on the reply subject. */
interface PubAck {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; description?: string };
}

/** The acknowledgements of one page of messages, counted as they arrive on the page's reply subject. */
export class PageAcknowledgements {
  private acknowledged = 0;
  private failure?: Error;
  private wake?: () => void;

  constructor(private readonly stream: string) {}

  get failed(): boolean {
    return this.failure !== undefined;
  }

  receive(message: Msg): void {
    this.failure ??= failureOf(message, this.stream);
    if (this.failure === undefined) this.acknowledged++;
    this.wake?.();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.wake?.();
  }

  /** Resolves once `count` messages are acknowledged; rejects on a refusal, or when none arrives for `timeoutMs`. */
  async waitFor(count: number, timeoutMs: number): Promise<void> {
    while (this.failure === undefined && this.acknowledged < count) {
      const before = this.acknowledged;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.failure === undefined && this.acknowledged === before) {
        throw new Error(`JetStream acknowledged nothing for ${timeoutMs} ms`);
      }
    }
    if (this.failure !== undefined) throw this.failure;
  }
}

function failureOf(message: Msg, stream: string): Error | undefined {
  if (message.headers?.hasError) {
    return new Error(`JetStream answered ${message.headers.code} ${message.headers.description}`.trim());
  }
  let ack: PubAck;
  try {
    ack = JSON.parse(message.string()) as PubAck;
  } catch {
    return new Error('JetStream answered something that is not an acknowledgement');
  }
  if (ack.error !== undefined) return new Error(ack.error.description ?? `JetStream error ${ack.error.code}`);
  if (ack.stream !== stream) return new Error(`the message was stored in the stream ${ack.stream}, not in ${stream}`);
  return undefined;
}
