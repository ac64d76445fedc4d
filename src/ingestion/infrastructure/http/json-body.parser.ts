import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUtf8 } from 'node:buffer';
import { InvalidBodyEncodingError } from './invalid-body-encoding.error';

/** JSON and `+json` media types, with any parameters (Fastify matches the whole header); others are a 415. */
const JSON_MEDIA_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json\s*(?:;.*)?$/i;

const RAW_JSON_BODY = 'rawJsonBody';
type RequestWithRawJson = FastifyRequest & { [RAW_JSON_BODY]: string };

/**
 * Replaces Fastify's body parsers with one JSON parser. Plain JSON.parse: keys such as
 * `__proto__` or `constructor` become own data properties (never prototypes), so they cannot
 * alter server objects. The text is kept too (`rawJsonBody`): payloads are stored as written.
 * The body is read as bytes and must be UTF-8: decoded as a string, an invalid byte would
 * become U+FFFD and be stored as if the client had sent it.
 */
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
      const parsed: unknown = JSON.parse(body);
      (request as RequestWithRawJson)[RAW_JSON_BODY] = body;
      done(null, parsed);
    } catch (error) {
      (error as Error & { statusCode?: number }).statusCode = 400;
      done(error as Error, undefined);
    }
  });
}

/** The JSON body's text as received ('' when the request had none). */
export function rawJsonBody(request: FastifyRequest): string {
  return (request as RequestWithRawJson)[RAW_JSON_BODY];
}
