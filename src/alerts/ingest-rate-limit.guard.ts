import {
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
  applyDecorators,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { AuthenticatedRequest } from '../auth/access.guard';
import { IngestRateLimitError, IngestRateLimiter } from './ingest-rate-limit';

/** How many alerts a request body carries (read before validation: an invalid body costs what it claims). */
export type AlertCount = (body: unknown) => number;

const INGEST_LIMITED = 'llm_im:ingest_limited';

const oneAlert: AlertCount = () => 1;

/** A body carrying `alerts: [...]` (a webhook, a batch) costs one per alert (at least one, like any request). */
export const webhookAlertCount: AlertCount = (body) => {
  const alerts: unknown =
    typeof body === 'object' && body !== null ? (body as { alerts?: unknown }).alerts : undefined;
  return Array.isArray(alerts) ? Math.max(1, alerts.length) : 1;
};

/**
 * Charges the route's alerts to the caller's credential (INGEST_RATE_LIMIT_PER_KEY). Route guards run after the
 * global AccessGuard, so the principal is known.
 */
export const IngestLimited = (count: AlertCount = oneAlert): MethodDecorator =>
  applyDecorators(SetMetadata(INGEST_LIMITED, count), UseGuards(IngestRateLimitGuard));

@Injectable()
export class IngestRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: IngestRateLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const count =
      this.reflector.get<AlertCount | undefined>(INGEST_LIMITED, context.getHandler()) ?? oneAlert;
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    try {
      this.limiter.admit(request.principal, count(request.body));
    } catch (error) {
      if (error instanceof IngestRateLimitError) {
        // ApiExceptionFilter writes the body; the header set here stays on the reply.
        void http.getResponse<FastifyReply>().header('Retry-After', String(error.retryAfterSeconds));
      }
      throw error;
    }
    return true;
  }
}
