import type { FastifyRequest } from 'fastify';
import { isClientAbort } from './client-abort';

const requestRead = (complete: boolean) => ({ raw: { complete } }) as unknown as FastifyRequest;
const errorWithCode = (code: string) => Object.assign(new Error(code), { code });

describe('isClientAbort', () => {
  it.each(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE'])('is %s while the request is still being read', (code) => {
    expect(isClientAbort(errorWithCode(code), requestRead(false))).toBe(true);
  });

  it('is not an ECONNRESET once the request was read to its end (a database connection lost)', () => {
    expect(isClientAbort(errorWithCode('ECONNRESET'), requestRead(true))).toBe(false);
  });

  it.each([new Error('boom'), errorWithCode('ETIMEDOUT'), null, 'aborted'])('is not %p', (error) => {
    expect(isClientAbort(error, requestRead(false))).toBe(false);
  });
});
