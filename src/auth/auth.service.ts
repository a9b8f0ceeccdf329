import { Injectable } from '@nestjs/common';
import { API_KEY_PREFIX } from './api-key';
import { ApiKeysService } from './api-keys.service';
import { JwtVerifier } from './jwt-verifier';
import { AuthFailure, AuthenticationFailedError, Principal } from './principal';

const BEARER = /^Bearer +([^\s]+) *$/i;

/**
 * The one entry point for authenticating a caller, used by the HTTP guard and the WebSocket upgrade. It does not
 * look at AUTH_MODE: callers decide whether a credential is needed at all (OPEN_PRINCIPAL in `none` mode).
 */
@Injectable()
export class AuthService {
  constructor(
    private readonly apiKeys: ApiKeysService,
    private readonly jwt: JwtVerifier,
  ) {}

  /**
   * The principal of an `Authorization` header value, `Bearer <token>` (the scheme in any case). Rejects with
   * AuthenticationFailedError whose `reason` is `missing` (no header, or an empty one), `malformed` (another scheme,
   * or not one token), or that of `authenticateToken`.
   */
  authenticate(authorization: string | undefined): Promise<Principal> {
    if (authorization === undefined || authorization.trim() === '') {
      return Promise.reject(new AuthenticationFailedError(AuthFailure.Missing));
    }
    const match = BEARER.exec(authorization);
    if (match === null) return Promise.reject(new AuthenticationFailedError(AuthFailure.Malformed));
    return this.authenticateToken(match[1]);
  }

  /**
   * The principal of a bare token (the WebSocket `access_token` query parameter, the `auth` message). An API key
   * (`llmim_...`) is checked synchronously against memory and never parsed as a JWT; anything else is verified as a
   * JWT (cached once verified). Reasons: `missing` (empty), `malformed`, `unknown_key`, `revoked`, `expired`,
   * `invalid_token`.
   */
  authenticateToken(token: string): Promise<Principal> {
    if (token === '') return Promise.reject(new AuthenticationFailedError(AuthFailure.Missing));
    if (token.startsWith(API_KEY_PREFIX)) {
      try {
        return Promise.resolve(this.apiKeys.authenticate(token));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    }
    return this.jwt.verify(token);
  }
}
