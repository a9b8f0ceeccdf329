import { ArgumentsHost, Catch, ExceptionFilter, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiExceptionFilter } from '../common/api-exception.filter';

/**
 * A failed health check answers 503 with Terminus' report (`{status: "error", info, error, details}`: which
 * dependency is down and why, e.g. the broker) rather than the generic error body; every other error as usual.
 */
@Catch()
export class HealthExceptionFilter implements ExceptionFilter {
  private readonly fallback = new ApiExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'http' && exception instanceof ServiceUnavailableException) {
      const report = exception.getResponse();
      const reply = host.switchToHttp().getResponse<FastifyReply>();
      if (typeof report === 'object' && report !== null && 'details' in report && !reply.sent) {
        void reply.status(503).send(report);
        return;
      }
    }
    this.fallback.catch(exception, host);
  }
}
