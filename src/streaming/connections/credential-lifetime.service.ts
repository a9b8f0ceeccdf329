import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { ApiKeysService } from '../../auth/api-keys.service';
import { AuthMetrics } from '../../auth/auth-metrics';
import { AuthService } from '../../auth/auth.service';
import { AuthenticationFailedError, CredentialKind, Principal, hasScope } from '../../auth/principal';
import { Scope } from '../../auth/scopes';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { StreamError } from '../protocol/stream-error';
import { AuthOkMessage, ServerMessageType, StreamErrorCode } from '../protocol/stream-protocol';
import { Clock, Timer } from '../../clock/clock';
import { CloseCode } from '../protocol/stream-protocol';
import { compileConstraint } from './stream-authenticator';
import { ConnectionErrorReason, StreamMetrics } from '../stream-metrics';
import { ConnectionService } from './connection.service';
import type { CredentialExpiry, StreamConnection } from './stream-connection';

/**
 * A connection lives no longer than its credential: when the API key it connected with is revoked, or its token
 * expires, it gets `closing` and 4001 at once. The expiry timer is kept on the connection and cancelled with it. A
 * client keeps its connection past the expiry by sending `auth` with a fresh token for the same subject (same
 * constraint, still `stream:read`), answered `auth_ok`.
 */
@Injectable()
export class CredentialLifetimeService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Streaming');
  private readonly subscriptions = new Subscription();
  /** Pending expiries, by the instant (epoch ms). */
  private readonly expiries = new Map<number, ExpiryGroup>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly auth: AuthService,
    private readonly clock: Clock,
    private readonly connections: ConnectionService,
    private readonly apiKeys: ApiKeysService,
    private readonly metrics: StreamMetrics,
    private readonly authMetrics: AuthMetrics,
  ) {}

  onModuleInit(): void {
    this.subscriptions.add(this.connections.opened$.subscribe((connection) => this.armExpiry(connection)));
    this.subscriptions.add(this.apiKeys.revoked$.subscribe((keyId) => this.closeRevoked(keyId)));
  }

  onModuleDestroy(): void {
    this.subscriptions.unsubscribe();
  }

  /** Replaces the connection's credential with a fresh token of the same subject and re-arms its expiry. */
  async refresh(connection: StreamConnection, token: string): Promise<AuthOkMessage> {
    if (this.config.auth.mode === 'none') return { type: ServerMessageType.AuthOk, expires_at: null };
    let next: Principal;
    try {
      next = await this.auth.authenticateToken(token);
    } catch (error) {
      if (!(error instanceof AuthenticationFailedError)) throw error;
      this.authMetrics.failure(error.reason, 'ws');
      throw new StreamError(StreamErrorCode.Authentication, `token not accepted (${error.reason})`);
    }
    const current = connection.principal;
    if (next.kind !== current.kind || next.id !== current.id) {
      throw new StreamError(StreamErrorCode.Authorization, 'the token is for another subject');
    }
    if (!hasScope(next, Scope.StreamRead)) {
      throw new StreamError(StreamErrorCode.Authorization, 'the token lacks the stream:read scope');
    }
    const constraint = next.constraint === null ? null : compileConstraint(next.constraint);
    if ((constraint?.key ?? null) !== (connection.constraint?.key ?? null)) {
      throw new StreamError(StreamErrorCode.Authorization, 'the token carries another constraint');
    }
    connection.principal = next;
    connection.credentialExpiry?.remove(connection);
    connection.credentialExpiry = null;
    this.armExpiry(connection);
    return {
      type: ServerMessageType.AuthOk,
      expires_at: next.expiresAt === null ? null : new Date(next.expiresAt).toISOString(),
    };
  }

  /**
   * Connections whose credentials expire at the same instant (the connections of one token, typically) share one
   * timer: a connection costs an entry in its group's set, not a timer of its own.
   */
  private armExpiry(connection: StreamConnection): void {
    const expiresAt = connection.principal.expiresAt;
    if (expiresAt === null) return;
    let group = this.expiries.get(expiresAt);
    if (group === undefined) {
      const created: ExpiryGroup = new ExpiryGroup(() => {
        if (this.expiries.get(expiresAt) === created) this.expiries.delete(expiresAt);
      });
      created.timer = this.clock.setTimeout(
        () => {
          this.expiries.delete(expiresAt);
          for (const member of created.members) this.end(member, 'credential expired');
          created.members.clear();
        },
        Math.max(0, expiresAt - this.clock.now()),
      );
      this.expiries.set(expiresAt, created);
      group = created;
    }
    group.members.add(connection);
    connection.credentialExpiry = group;
  }

  private closeRevoked(keyId: string): void {
    for (const connection of this.connections.values()) {
      const { kind, id } = connection.principal;
      if (kind === CredentialKind.ApiKey && id === keyId) this.end(connection, 'credential revoked');
    }
  }

  private end(connection: StreamConnection, why: string): void {
    if (!connection.isOpen) return;
    this.logger.log({ msg: `closing WebSocket ${connection.id}: ${why}`, session_id: connection.id });
    this.metrics.connectionError(ConnectionErrorReason.Unauthorized);
    connection.close(CloseCode.Unauthorized, 'unauthorized', false);
  }
}

/** The connections whose credentials expire at one instant, and the timer that closes them then. */
class ExpiryGroup implements CredentialExpiry {
  readonly members = new Set<StreamConnection>();
  timer: Timer | null = null;

  constructor(private readonly forget: () => void) {}

  remove(connection: StreamConnection): void {
    if (!this.members.delete(connection) || this.members.size !== 0) return;
    this.timer?.cancel();
    this.timer = null;
    this.forget();
  }
}
