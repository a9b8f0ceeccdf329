import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { AuthMetrics, INSUFFICIENT_SCOPE } from '../../auth/auth-metrics';
import { AuthService } from '../../auth/auth.service';
import {
  AuthFailure,
  AuthenticationFailedError,
  OPEN_PRINCIPAL,
  Principal,
  hasScope,
} from '../../auth/principal';
import { Scope } from '../../auth/scopes';
import { APP_CONFIG, AppConfig, AuthConfig } from '../../config/app-config';
import { isSubscriptionFilters } from '../../common/subscription-filters';
import { SubscriptionFilter } from '../routing/subscription-filter';

/** Who an upgrade request is, decided before the handshake, read when the connection is accepted. */
export type StreamAdmission =
  | { readonly admitted: true; readonly principal: Principal; readonly constraint: SubscriptionFilter | null }
  | { readonly admitted: false; readonly code: 'unauthorized' | 'forbidden'; readonly reason: string };

const OPEN: StreamAdmission = { admitted: true, principal: OPEN_PRINCIPAL, constraint: null };

/**
 * Authenticates WebSocket upgrades: the `Authorization: Bearer` header or, for browsers (which cannot set headers on
 * a WebSocket), the `access_token` query parameter. It runs during the upgrade (the verification is asynchronous
 * for JWTs) and never refuses there: the contract answers an upgrade without a valid credential with `closing`
 * and 4001, and one without `stream:read` with 4003, which needs the WebSocket. The credential's constraint is
 * compiled here, once per connection; one that is not a valid filter is refused (never silently dropped).
 */
@Injectable()
export class StreamAuthenticator {
  private readonly config: AuthConfig;
  private readonly admissions = new WeakMap<IncomingMessage, StreamAdmission>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly auth: AuthService,
    private readonly metrics: AuthMetrics,
  ) {
    this.config = config.auth;
  }

  /** Decides the admission of an upgrade request (kept until the connection is accepted). */
  async authenticate(request: IncomingMessage): Promise<void> {
    if (this.config.mode === 'none') return;
    this.admissions.set(request, await this.admit(request));
  }

  /** The admission decided for this request; open in AUTH_MODE=none. */
  admissionOf(request: IncomingMessage): StreamAdmission {
    if (this.config.mode === 'none') return OPEN;
    return (
      this.admissions.get(request) ?? { admitted: false, code: 'unauthorized', reason: AuthFailure.Missing }
    );
  }

  private async admit(request: IncomingMessage): Promise<StreamAdmission> {
    let principal: Principal;
    try {
      const header = request.headers.authorization;
      principal =
        header !== undefined
          ? await this.auth.authenticate(header)
          : await this.auth.authenticateToken(queryToken(request) ?? '');
    } catch (error) {
      if (error instanceof AuthenticationFailedError) {
        this.metrics.failure(error.reason, 'ws');
        return { admitted: false, code: 'unauthorized', reason: error.reason };
      }
      throw error;
    }
    if (!hasScope(principal, Scope.StreamRead)) {
      this.metrics.failure(INSUFFICIENT_SCOPE, 'ws');
      return { admitted: false, code: 'forbidden', reason: 'missing stream:read scope' };
    }
    if (principal.constraint === null) return { admitted: true, principal, constraint: null };
    const constraint = compileConstraint(principal.constraint);
    if (constraint === null) {
      return {
        admitted: false,
        code: 'unauthorized',
        reason: 'the credential constraint is not a valid filter',
      };
    }
    return { admitted: true, principal, constraint };
  }
}

/** The `access_token` query parameter of the upgrade URL, if any. */
function queryToken(request: IncomingMessage): string | undefined {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  if (query < 0) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get('access_token') ?? undefined;
}

/** A constraint object validated exactly like a subscription's filters; null when it is not one. */
export function compileConstraint(constraint: Readonly<Record<string, unknown>>): SubscriptionFilter | null {
  return isSubscriptionFilters(constraint) ? SubscriptionFilter.from(constraint) : null;
}
