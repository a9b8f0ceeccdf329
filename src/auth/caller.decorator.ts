import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { AuthenticatedRequest } from './access.guard';
import { CredentialKind } from './principal';

/**
 * The name of the credential that made the request (an API key's name, a token's `sub`): the actor of a change
 * whose body names none. Undefined in AUTH_MODE=none, where the original defaults apply.
 */
export const CallerName = createParamDecorator(
  (_data: unknown, context: ExecutionContext): string | undefined => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
    return principal === undefined || principal.kind === CredentialKind.Open ? undefined : principal.name;
  },
);
