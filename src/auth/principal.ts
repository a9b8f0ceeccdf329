import { Scope } from './scopes';

/** How the caller proved who it is. */
export const CredentialKind = {
  ApiKey: 'api_key',
  Jwt: 'jwt',
  /** AUTH_MODE=none: nobody is asked, everybody may do everything. */
  Open: 'open',
} as const;
export type CredentialKind = (typeof CredentialKind)[keyof typeof CredentialKind];

/**
 * Who is calling, as far as access goes: the credential's name (the actor of changes), what it may do, the filter
 * it is confined to, and until when. Built once per request or WebSocket connection.
 */
export interface Principal {
  readonly kind: CredentialKind;
  /** The API key's id, or the token's `sub`; `null` in open mode. */
  readonly id: string | null;
  /** The actor recorded on changes when a body names none: the key's name, or the token's `sub`. */
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  /** A filter (subscription filter keys) AND-ed into every read and subscription; null: unconstrained. */
  readonly constraint: Readonly<Record<string, unknown>> | null;
  /** Epoch ms after which the credential is no longer valid; null: no expiry. */
  readonly expiresAt: number | null;
}

/** Whether the principal may act with `scope` (`admin` may do everything). */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has(Scope.Admin) || principal.scopes.has(scope);
}

/** The principal of open mode (AUTH_MODE=none): every scope, no constraint. */
export const OPEN_PRINCIPAL: Principal = {
  kind: CredentialKind.Open,
  id: null,
  name: 'anonymous',
  scopes: new Set<Scope>([Scope.Admin]),
  constraint: null,
  expiresAt: null,
};

/** Why a credential was not accepted (the `reason` label of the authentication-failures metric). */
export const AuthFailure = {
  Missing: 'missing',
  Malformed: 'malformed',
  Unknown: 'unknown_key',
  Revoked: 'revoked',
  Expired: 'expired',
  InvalidToken: 'invalid_token',
} as const;
export type AuthFailure = (typeof AuthFailure)[keyof typeof AuthFailure];

/** A credential that was missing or not accepted: 401 on REST, 4001 on WebSocket. */
export class AuthenticationFailedError extends Error {
  constructor(readonly reason: AuthFailure) {
    super(`authentication failed: ${reason}`);
    this.name = 'AuthenticationFailedError';
  }
}
