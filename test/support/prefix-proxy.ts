import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Where the gateway of the contract mounts the service. */
export const GATEWAY_PREFIX = '/api/ingestion';

/**
 * A gateway that mounts the service under a path prefix, as nginx or Traefik set up for it
 * would: strips the prefix, forwards the rest to the service and says what it did in
 * X-Forwarded-Prefix, -Host, -Proto and -For. Anything outside the prefix is a 404 of its own.
 */
export class PrefixProxy {
  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`, the gateway's origin. */
    readonly origin: string,
  ) {}

  static async start(target: URL, prefix = GATEWAY_PREFIX): Promise<PrefixProxy> {
    const server = createServer((client, response) => forward(client, response, target, prefix));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new PrefixProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function forward(client: IncomingMessage, response: ServerResponse, target: URL, prefix: string): void {
  const url = client.url ?? '/';
  if (url !== prefix && !url.startsWith(`${prefix}/`) && !url.startsWith(`${prefix}?`)) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end(`not under ${prefix}`);
    return;
  }
  const path = url.slice(prefix.length);
  const forwardedFor = [client.headers['x-forwarded-for'], client.socket.remoteAddress].filter(Boolean).join(', ');
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: client.method,
      path: path.startsWith('/') ? path : `/${path}`,
      headers: {
        ...client.headers,
        'x-forwarded-prefix': prefix,
        'x-forwarded-host': client.headers.host,
        'x-forwarded-proto': 'http',
        'x-forwarded-for': forwardedFor,
      },
      agent: false,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  upstream.on('error', () => response.destroy());
  client.pipe(upstream);
}
