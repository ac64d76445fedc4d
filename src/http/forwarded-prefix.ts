import type { FastifyRequest } from 'fastify';

/** RFC 3986 pchar, less the comma, which separates the header's values. */
const PCHAR = "(?:[A-Za-z0-9\\-._~!$&'()*+;=:@]|%[0-9A-Fa-f]{2})";
const PREFIX_VALUE = new RegExp(`^(?:(?:/${PCHAR}+)+/?|/)$`);
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;
const OPTIONAL_WHITESPACE = /^[ \t]+|[ \t]+$/g;

export function publicPath(request: FastifyRequest, path: string): string {
  return `${publicPrefixOf(request)}${path}`;
}

export function publicPrefixOf(request: FastifyRequest): string {
  const header = request.headers['x-forwarded-prefix'];
  if (header === undefined || !request.server.trustedProxies.trustsPeerOf(request)) return '';
  return forwardedPrefix(header) ?? '';
}

/** Values joined in order, as Spring reads them; none at all when one could point elsewhere (dot segments, `//`). */
export function forwardedPrefix(header: string | string[]): string | undefined {
  let prefix = '';
  for (const value of [header].flat().join(',').split(',')) {
    const path = value.replace(OPTIONAL_WHITESPACE, '');
    if (!PREFIX_VALUE.test(path) || path.split('/').some((segment) => DOT_SEGMENT.test(segment))) return undefined;
    prefix += path.endsWith('/') ? path.slice(0, -1) : path;
  }
  return prefix;
}
