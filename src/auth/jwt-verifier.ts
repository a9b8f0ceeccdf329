import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  FlattenedJWSInput,
  JSONWebKeySet,
  JWTHeaderParameters,
  JWTPayload,
  KeyLike,
  createLocalJWKSet,
  errors,
  jwtVerify,
} from 'jose';
import { readFileSync } from 'node:fs';
import { Clock } from '../clock/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { AuthFailure, AuthenticationFailedError, CredentialKind, Principal } from './principal';
import { Scope, isScope } from './scopes';
import { ExpiringLruCache } from './token-cache';

/** Verified tokens kept, so that a client's repeated requests do not each verify a signature. */
const TOKEN_CACHE_CAPACITY = 10_000;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** The private claim that carries the credential's constraint (a filter object). */
export const CONSTRAINT_CLAIM = 'llm_im_constraint';

type KeyResolver = (header: JWTHeaderParameters, token: FlattenedJWSInput) => Promise<KeyLike | Uint8Array>;

/**
 * Verifies JWTs (contract section 6): HS256 with AUTH_JWT_SECRET and/or RS256/ES256 with the keys of the
 * AUTH_JWKS_FILE (read once, at start); `iss` and `aud` checked when configured; `exp` and `sub` required. A verified
 * token is cached until its `exp` (bounded LRU), and concurrent first uses of one token share one verification.
 */
@Injectable()
export class JwtVerifier {
  private readonly logger = new Logger(JwtVerifier.name);
  private readonly algorithms: string[] = [];
  private readonly resolveKey: KeyResolver | null = null;
  private readonly issuer: string | undefined;
  private readonly audience: string | undefined;
  private readonly cache = new ExpiringLruCache<string, Principal>(TOKEN_CACHE_CAPACITY);
  private readonly inFlight = new Map<string, Promise<Principal>>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
  ) {
    const { jwtSecret, jwksFile, jwtIssuer, jwtAudience } = config.auth;
    this.issuer = jwtIssuer ?? undefined;
    this.audience = jwtAudience ?? undefined;
    const secret = jwtSecret === null ? null : new TextEncoder().encode(jwtSecret);
    const jwks = jwksFile === null ? null : loadJwks(jwksFile);
    if (secret !== null) this.algorithms.push('HS256');
    if (jwks !== null) this.algorithms.push('RS256', 'ES256');
    if (secret === null && jwks === null) return;
    // jose refuses an algorithm outside `algorithms` before asking for a key, and a key of the wrong type for the
    // algorithm: an RS256 public key can never be used as an HS256 secret.
    this.resolveKey = (header, token) =>
      header.alg === 'HS256' && secret !== null
        ? Promise.resolve(secret)
        : (jwks as NonNullable<typeof jwks>)(header, token);
    if (jwks !== null) this.logger.log(`JWT keys read from ${jwksFile}`);
  }

  /** Whether any JWT is accepted (AUTH_JWT_SECRET or AUTH_JWKS_FILE is set). */
  get enabled(): boolean {
    return this.resolveKey !== null;
  }

  /**
   * The principal of a JWT, or AuthenticationFailedError: `malformed` (not a compact JWS), `expired`, or
   * `invalid_token` (bad signature, wrong issuer or audience, no `exp` or `sub`, a bad claim, or no JWT configured).
   */
  verify(token: string): Promise<Principal> {
    const cached = this.cache.get(token, this.clock.now());
    if (cached !== undefined) return Promise.resolve(cached);
    if (!JWS_COMPACT.test(token)) return Promise.reject(new AuthenticationFailedError(AuthFailure.Malformed));
    let pending = this.inFlight.get(token);
    if (pending === undefined) {
      pending = this.verifyUncached(token).finally(() => this.inFlight.delete(token));
      this.inFlight.set(token, pending);
    }
    return pending;
  }

  private async verifyUncached(token: string): Promise<Principal> {
    if (this.resolveKey === null) throw new AuthenticationFailedError(AuthFailure.InvalidToken);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.resolveKey, {
        algorithms: this.algorithms,
        issuer: this.issuer,
        audience: this.audience,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(this.clock.now()),
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AuthenticationFailedError(AuthFailure.Expired);
      if (error instanceof errors.JOSEError) throw new AuthenticationFailedError(AuthFailure.InvalidToken);
      throw error;
    }
    const principal = principalOf(payload);
    this.cache.set(token, principal, principal.expiresAt as number);
    return principal;
  }
}

/** The principal a verified payload stands for; a claim of the wrong type refuses the token (never widens it). */
function principalOf(payload: JWTPayload): Principal {
  const { sub, exp, scope } = payload;
  const constraint = payload[CONSTRAINT_CLAIM];
  if (typeof sub !== 'string' || sub === '' || typeof exp !== 'number') {
    throw new AuthenticationFailedError(AuthFailure.InvalidToken);
  }
  if (scope !== undefined && typeof scope !== 'string') {
    throw new AuthenticationFailedError(AuthFailure.InvalidToken);
  }
  if (constraint !== undefined && constraint !== null && !isPlainObject(constraint)) {
    throw new AuthenticationFailedError(AuthFailure.InvalidToken);
  }
  return {
    kind: CredentialKind.Jwt,
    id: sub,
    name: sub,
    // Scopes this server does not know are ignored: a token minted for several services may carry theirs.
    scopes: new Set<Scope>((scope ?? '').split(' ').filter(isScope)),
    constraint: isPlainObject(constraint) ? constraint : null,
    expiresAt: exp * 1000,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads the JWKS file at start; a missing or invalid file stops the server with a message naming it. */
function loadJwks(path: string): ReturnType<typeof createLocalJWKSet> {
  let jwks: JSONWebKeySet;
  try {
    jwks = JSON.parse(readFileSync(path, 'utf8')) as JSONWebKeySet;
  } catch (error) {
    throw new Error(`AUTH_JWKS_FILE ${path} cannot be read as JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(jwks) || !Array.isArray(jwks.keys) || jwks.keys.length === 0) {
    throw new Error(`AUTH_JWKS_FILE ${path} must be a JWKS: {"keys": [...]} with at least one key`);
  }
  return createLocalJWKSet(jwks);
}
