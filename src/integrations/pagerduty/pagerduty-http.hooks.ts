import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Transform } from 'node:stream';
import { fromContractError, isContractErrorBody } from './pagerduty-errors';
import { PAGERDUTY_LIMITS } from './pagerduty-event';

/** The routes that speak PagerDuty's Events API v2. */
export const PAGERDUTY_ROUTES: readonly string[] = ['/v2/enqueue', '/v1/integrations/pagerduty'];

function isPagerDutyRoute(request: FastifyRequest): boolean {
  return PAGERDUTY_ROUTES.includes(request.routeOptions.url ?? '');
}

/** What Fastify makes of an error with a status: our error filter answers it as 413 PAYLOAD_TOO_LARGE. */
function tooLarge(): Error & { statusCode: number } {
  return Object.assign(new Error('Event object exceeds the size limit'), { statusCode: 413 });
}

/**
 * What the PagerDuty routes need from the HTTP layer, before and around Nest:
 * - PagerDuty's size limit (512 KB per event) instead of HTTP_BODY_LIMIT_BYTES: a declared Content-Length over it
 *   is refused before the body is read, a chunked body as soon as it passes it (413);
 * - errors answered before the route runs (bad JSON, a NUL character or `__proto__` key, deep nesting, the size,
 *   the content type, the per-address flood limit) are written by the framework in our contract's shape: they are
 *   rewritten in PagerDuty's, with the same status. Errors inside the route are PagerDutyExceptionFilter's.
 */
export function registerPagerDutyHooks(fastify: FastifyInstance): void {
  const limit = PAGERDUTY_LIMITS.eventBytes;
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    if (!isPagerDutyRoute(request)) return done(null, payload);
    if (Number(request.headers['content-length']) > limit) return done(tooLarge());
    let received = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        callback(received > limit ? tooLarge() : null, chunk);
      },
    });
    payload.on('error', (error) => counted.destroy(error));
    done(null, payload.pipe(counted));
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode < 400 || typeof payload !== 'string' || !isPagerDutyRoute(request)) {
      return done(null, payload);
    }
    let body: unknown;
    try {
      body = JSON.parse(payload);
    } catch {
      return done(null, payload);
    }
    done(null, isContractErrorBody(body) ? JSON.stringify(fromContractError(body)) : payload);
  });
}
