import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';

/** Why a response ended before its last byte; `client-closed` unless the server recorded another reason. */
export type IncompleteOutcome = 'client-closed' | 'stalled' | 'failed';

export type IncompleteResponseListener = (
  request: FastifyRequest,
  reply: FastifyReply,
  outcome: IncompleteOutcome,
) => void;

const outcomes = new WeakMap<ServerResponse, IncompleteOutcome>();

export function markIncomplete(reply: FastifyReply, outcome: IncompleteOutcome): void {
  if (!outcomes.has(reply.raw)) outcomes.set(reply.raw, outcome);
}

/** Fastify's onResponse runs only for responses that finish; this reports the streamed ones that did not. */
export function onIncompleteResponse(fastify: FastifyInstance, listener: IncompleteResponseListener): void {
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (isStream(payload)) watchForIncomplete(request, reply, listener);
    done(null, payload);
  });
}

function watchForIncomplete(request: FastifyRequest, reply: FastifyReply, listener: IncompleteResponseListener): void {
  const response = reply.raw;
  const report = () => listener(request, reply, outcomes.get(response) ?? 'client-closed');
  if (response.destroyed) {
    report();
    return;
  }
  // 'finish' is what runs Fastify's onResponse: a response has one or the other.
  let finished = false;
  response.once('finish', () => (finished = true));
  response.once('close', () => {
    if (!finished) report();
  });
}

function isStream(payload: unknown): boolean {
  return typeof payload === 'object' && payload !== null && typeof (payload as { pipe?: unknown }).pipe === 'function';
}
