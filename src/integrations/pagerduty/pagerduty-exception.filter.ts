import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { toErrorBody } from '../../common/api-exception.filter';
import { AuthenticationError, AuthorizationError } from '../../auth/auth-errors';
import { AuthFailure } from '../../auth/principal';
import { INVALID_ROUTING_KEY, PagerDutyErrorBody, fromContractError, invalidEvent } from './pagerduty-errors';
import { PagerDutyInvalidEventError } from './pagerduty-event';

/**
 * The PagerDuty routes answer every error raised while they run (the routing key's check, the event's validation,
 * the ingestion rate limit, the handler) in PagerDuty's shape: a sender written for PagerDuty reads them as it
 * would PagerDuty's. A routing key that is missing, unknown, revoked, expired or lacks `alerts:write` is PagerDuty's
 * 400 (a sender does not retry it), never our 401/403. Errors before the route runs: see pagerduty-http.hooks.ts.
 */
@Catch()
export class PagerDutyExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const [status, body] = pagerDutyError(exception);
    if (status >= 500) {
      this.logger.error(
        exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
      );
    }
    if (reply.sent) return;
    void reply.status(status).send(body);
  }
}

function pagerDutyError(exception: unknown): [status: number, body: PagerDutyErrorBody] {
  if (exception instanceof PagerDutyInvalidEventError) return [400, invalidEvent(exception.errors)];
  if (exception instanceof AuthenticationError) {
    return [
      400,
      invalidEvent([
        exception.reason === AuthFailure.Missing ? "'routing_key' is missing or blank" : INVALID_ROUTING_KEY,
      ]),
    ];
  }
  if (exception instanceof AuthorizationError) {
    return [400, invalidEvent([`${INVALID_ROUTING_KEY} (the key lacks the ${exception.scope} scope)`])];
  }
  const contract = toErrorBody(exception);
  return [contract.error.status, fromContractError(contract)];
}
