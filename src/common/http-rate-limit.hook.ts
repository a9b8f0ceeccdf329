import type { FastifyInstance } from 'fastify';
import { ErrorCode, errorBody } from './api-error';
import { ClientAddresses } from './client-address';
import { TokenBuckets } from './token-bucket';

/**
 * Per-client flood protection for the API: beyond `ratePerSecond` requests per second (bursts up to twice that)
 * a client gets 429 RATE_LIMIT_EXCEEDED with Retry-After, before its body is even read. Health and metrics
 * are never limited. The client is the TCP peer address, or behind a trusted proxy (TRUST_PROXY) the address it
 * forwards.
 */
export function registerHttpRateLimit(
  fastify: FastifyInstance,
  ratePerSecond: number,
  addresses: ClientAddresses,
): void {
  const buckets = new TokenBuckets(ratePerSecond, ratePerSecond * 2);
  fastify.addHook('onRequest', (request, reply, done) => {
    // The API's two prefixes: /v1 and PagerDuty's /v2/enqueue (answered in PagerDuty's shape by its own hooks).
    if (!request.url.startsWith('/v1/') && !request.url.startsWith('/v2/')) return done();
    const wait = buckets.take(addresses.of(request.socket.remoteAddress, request.headers['x-forwarded-for']));
    if (wait === 0) return done();
    // The unread body stays on the socket; close it after answering so it is not taken for the next request.
    void reply
      .code(429)
      .header('Retry-After', String(Math.max(1, Math.ceil(wait))))
      .header('Connection', 'close')
      .send(errorBody(ErrorCode.RateLimitExceeded, 'Too many requests; retry later', 429));
  });
}
