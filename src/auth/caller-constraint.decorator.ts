import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { IncidentConstraint } from '../common/incident-constraint';
import { isSubscriptionFilters } from '../common/subscription-filters';
import type { AuthenticatedRequest } from './access.guard';
import { AuthenticationError } from './auth-errors';
import { AuthFailure } from './principal';

/** Constraint objects already checked (a principal is cached with its token, so the same object comes back). */
const checked = new WeakMap<object, boolean>();

/**
 * The constraint of the credential that made the request, or null when it has none (as in AUTH_MODE=none):
 * services then take their unconstrained paths. A constraint that is not a valid filter (a token can carry
 * anything) is refused with 401, as the WebSocket refuses it, rather than read loosely and widened.
 */
export const CallerConstraint = createParamDecorator(
  (_data: unknown, context: ExecutionContext): IncidentConstraint | null => {
    const constraint =
      context.switchToHttp().getRequest<AuthenticatedRequest>().principal?.constraint ?? null;
    if (constraint === null) return null;
    let valid = checked.get(constraint);
    if (valid === undefined) {
      valid = isSubscriptionFilters(constraint);
      checked.set(constraint, valid);
    }
    if (!valid) throw new AuthenticationError(AuthFailure.InvalidToken);
    return constraint;
  },
);
