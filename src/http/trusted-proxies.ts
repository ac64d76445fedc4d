import { compile } from '@fastify/proxy-addr';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export type ProxyTrust = (address: string, hop: number) => boolean;

declare module 'fastify' {
  interface FastifyInstance {
    trustedProxies: TrustedProxies;
  }
}

const TRUST_NOBODY: ProxyTrust = () => false;

/** Fastify takes `trustProxy` before the configuration is read: `trust` asks what `configure` set later. */
export class TrustedProxies {
  private current = TRUST_NOBODY;

  readonly trust: ProxyTrust = (address, hop) => this.current(address, hop);

  attachTo(fastify: FastifyInstance): void {
    fastify.decorate<TrustedProxies>('trustedProxies', this);
  }

  configure(setting: string): void {
    this.current = proxyTrustOf(setting) ?? TRUST_NOBODY;
  }

  trustsPeerOf(request: FastifyRequest): boolean {
    const address = request.raw.socket?.remoteAddress;
    return address !== undefined && this.current(address, 0);
  }
}

/** TRUST_PROXY read as Fastify reads `trustProxy`; undefined for none, throws on an entry that is not an address. */
export function proxyTrustOf(setting: string): ProxyTrust | undefined {
  const value = setting.trim();
  if (value === '' || value === 'false') return undefined;
  if (value === 'true') return () => true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return (_address, hop) => hop < hops;
  }
  return compile(value.split(',').map((entry) => entry.trim()));
}
