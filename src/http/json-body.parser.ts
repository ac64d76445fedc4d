import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUtf8 } from 'node:buffer';
import { InvalidBodyEncodingError } from './invalid-body-encoding.error';

/** JSON and `+json` media types, with any parameters (Fastify matches the whole header); others are a 415. */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json\s*(?:;.*)?$/i;

const RAW_JSON_BODY = 'rawJsonBody';
type RequestWithRawJson = FastifyRequest & { [RAW_JSON_BODY]: string };

/** Read as bytes: decoded as a string, an invalid UTF-8 byte would become U+FFFD and be stored as if sent. */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeAllContentTypeParsers();
  fastify.decorateRequest(RAW_JSON_BODY, '');
  fastify.addContentTypeParser(JSON_MEDIA_TYPE, { parseAs: 'buffer' }, (request, bytes: Buffer, done) => {
    if (!isUtf8(bytes)) {
      done(new InvalidBodyEncodingError(), undefined);
      return;
    }
    const body = bytes.toString('utf8');
    try {
      // Plain JSON.parse is safe: `__proto__` or `constructor` become own data properties, never prototypes.
      const parsed: unknown = JSON.parse(body);
      (request as RequestWithRawJson)[RAW_JSON_BODY] = body;
      done(null, parsed);
    } catch (error) {
      (error as Error & { statusCode?: number }).statusCode = 400;
      done(error as Error, undefined);
    }
  });
}

/** The JSON body's text as received ('' without one): payloads are stored as written, not re-serialised. */
export function rawJsonBody(request: FastifyRequest): string {
  return (request as RequestWithRawJson)[RAW_JSON_BODY];
}
