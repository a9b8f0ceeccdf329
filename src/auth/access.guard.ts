import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig, AuthConfig } from '../config/app-config';
import { ACCESS_METADATA, Access } from './access.decorator';
import { AuthenticationError, AuthorizationError } from './auth-errors';
import { AuthMetrics, INSUFFICIENT_SCOPE } from './auth-metrics';
import { AuthService } from './auth.service';
import { AuthFailure, AuthenticationFailedError, OPEN_PRINCIPAL, Principal, hasScope } from './principal';

/** A request once the guard has let it through: who is calling. */
export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/**
 * Applies every HTTP route's declared access (`@Public`, `@MetricsAccess`, `@RequireScope`,
 * `@RequireBodyCredential`): authenticates the bearer credential, or the one in the body (401 without a valid one),
 * checks the scope (403), and leaves the principal on the request for the actor and the constraint. A route that
 * declares nothing is refused: a new route is never open by accident. With AUTH_MODE=none every route is open and
 * the caller is the open principal.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly config: AuthConfig;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    private readonly metrics: AuthMetrics,
  ) {
    this.config = config.auth;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    // WebSocket messages are admitted per connection, at the upgrade (see the streaming connections).
    if (context.getType() !== 'http') return true;
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access === undefined) throw new AuthorizationError(null);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (this.config.mode === 'none') {
      request.principal = OPEN_PRINCIPAL;
      return true;
    }
    if (access.kind === 'public' || (access.kind === 'metrics' && this.config.metricsPublic)) return true;
    let principal: Principal;
    try {
      principal =
        access.kind === 'body-credential'
          ? await this.auth.authenticateToken(credentialInBody(request.body, access.field))
          : await this.auth.authenticate(request.headers.authorization);
    } catch (error) {
      if (error instanceof AuthenticationFailedError) {
        this.metrics.failure(error.reason, 'http');
        throw new AuthenticationError(error.reason);
      }
      throw error;
    }
    request.principal = principal;
    if (
      (access.kind === 'scope' || access.kind === 'body-credential') &&
      !hasScope(principal, access.scope)
    ) {
      this.metrics.failure(INSUFFICIENT_SCOPE, 'http');
      throw new AuthorizationError(access.scope);
    }
    return true;
  }
}

/**
 * The credential a body carries in `field` (guards run after the body is parsed, before validation: it may be any
 * JSON value). Absent, null or empty is '' (`missing`); any other non-string is refused as `malformed`.
 */
function credentialInBody(body: unknown, field: string): string {
  const value: unknown =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)[field]
      : undefined;
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new AuthenticationFailedError(AuthFailure.Malformed);
  return value;
}
