import type { LoggerService } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import type { LogLevel } from '../config/env.schema';

const VERBOSE: readonly LogLevel[] = ['debug', 'trace'];

/**
 * One structured log line per failed request (4xx warn, 5xx error), and per request of any outcome at debug.
 * Replaces per-request child loggers (pino-http), which cost about a third of the server's CPU per request in
 * bench/. Health and metrics scrapes are not logged.
 */
export function registerAccessLog(fastify: FastifyInstance, logger: LoggerService, level: LogLevel): void {
  const logSuccess = VERBOSE.includes(level);
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const url = request.url;
    if ((status < 400 && !logSuccess) || url.startsWith('/metrics') || url.startsWith('/health')) {
      return done();
    }
    const entry = {
      req: { method: request.method, url, remoteAddress: request.socket.remoteAddress },
      res: { statusCode: status },
      responseTime: reply.elapsedTime,
    };
    // An object first argument is logged as fields; its `msg` becomes the line's message.
    if (status >= 500) logger.error({ msg: 'request failed', ...entry });
    else if (status >= 400) logger.warn({ msg: 'request rejected', ...entry });
    else logger.debug?.({ msg: 'request completed', ...entry });
    done();
  });
}
