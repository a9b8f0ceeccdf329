import { ApiException, ErrorCode } from '../common/api-error';
import type { AuthFailure } from './principal';
import type { Scope } from './scopes';

/** 401: no credential, or one that is not accepted (the reason is said, never the credential). */
export class AuthenticationError extends ApiException {
  constructor(readonly reason: AuthFailure) {
    super(ErrorCode.Authentication, `Authentication required (${reason.replace(/_/g, ' ')})`, 401);
  }
}

/** 403: a valid credential without the scope the route needs. */
export class AuthorizationError extends ApiException {
  constructor(readonly scope: Scope | null) {
    super(
      ErrorCode.Authorization,
      scope === null ? 'This route is not open to any credential' : `This action needs the ${scope} scope`,
      403,
    );
  }
}
