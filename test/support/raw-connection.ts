import { connect, Socket } from 'node:net';
import type { RawResponse } from './raw-http';

/**
 * One HTTP/1.1 connection written byte for byte (so a request can be left half sent), whose
 * responses are read in turn; they must carry Content-Length.
 */
export class RawConnection {
  private received = Buffer.alloc(0);
  private closed = false;
  private wake: () => void = () => undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received = Buffer.concat([this.received, chunk]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined); // seen as the close
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** The next response on the connection; rejects when the connection closes before it is whole. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const headerEnd = this.received.indexOf('\r\n\r\n');
      if (headerEnd >= 0) {
        const [statusLine, ...lines] = this.received.subarray(0, headerEnd).toString('latin1').split('\r\n');
        const headers = Object.fromEntries(
          lines.map((line) => [
            line.slice(0, line.indexOf(':')).toLowerCase(),
            line.slice(line.indexOf(':') + 1).trim(),
          ]),
        );
        const length = Number(headers['content-length']);
        if (!Number.isInteger(length)) throw new Error(`no Content-Length in ${statusLine}`);
        if (this.received.length >= headerEnd + 4 + length) {
          const body = this.received.subarray(headerEnd + 4, headerEnd + 4 + length).toString();
          this.received = this.received.subarray(headerEnd + 4 + length);
          return { status: Number(statusLine.split(' ')[1]), headers, body };
        }
      }
      if (this.closed) throw new Error(`connection closed before a whole response: ${this.received.toString()}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
