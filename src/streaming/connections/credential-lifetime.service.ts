import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { ApiKeysService } from '../../auth/api-keys.service';
import { CredentialKind } from '../../auth/principal';
import { Clock } from '../../clock/clock';
import { CloseCode } from '../protocol/stream-protocol';
import { ConnectionErrorReason, StreamMetrics } from '../stream-metrics';
import { ConnectionService } from './connection.service';
import type { StreamConnection } from './stream-connection';

/**
 * A connection lives no longer than its credential: when the API key it connected with is revoked, or its token
 * expires, it gets `closing` and 4001 at once. The expiry timer is kept on the connection and cancelled with it.
 */
@Injectable()
export class CredentialLifetimeService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Streaming');
  private readonly subscriptions = new Subscription();

  constructor(
    private readonly clock: Clock,
    private readonly connections: ConnectionService,
    private readonly apiKeys: ApiKeysService,
    private readonly metrics: StreamMetrics,
  ) {}

  onModuleInit(): void {
    this.subscriptions.add(this.connections.opened$.subscribe((connection) => this.armExpiry(connection)));
    this.subscriptions.add(this.apiKeys.revoked$.subscribe((keyId) => this.closeRevoked(keyId)));
  }

  onModuleDestroy(): void {
    this.subscriptions.unsubscribe();
  }

  private armExpiry(connection: StreamConnection): void {
    const expiresAt = connection.principal.expiresAt;
    if (expiresAt === null) return;
    connection.credentialTimer = this.clock.setTimeout(
      () => this.end(connection, 'credential expired'),
      Math.max(0, expiresAt - this.clock.now()),
    );
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
