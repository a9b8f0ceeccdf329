import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Observable, Subject } from 'rxjs';
import { Clock } from '../../clock/clock';
import { isoTimestamp } from '../../clock/iso-timestamp';
import { ClientAddresses } from '../../common/client-address';
import { APP_CONFIG, AppConfig, StreamingConfig } from '../../config/app-config';
import { CloseCode, ServerMessageType } from '../protocol/stream-protocol';
import { SubscriptionIndex } from '../routing/subscription-index';
import { ConnectionErrorReason, StreamMetrics } from '../stream-metrics';
import { controlFrame } from '../transport/outbound-frame';
import type { Principal } from '../../auth/principal';
import type { SubscriptionFilter } from '../routing/subscription-filter';
import type { ClientSocket, FrameTransport } from '../transport/client-socket';
import type { StreamSocket } from '../transport/stream-socket';
import { FlushScheduler } from './flush-scheduler';
import { Session } from './session';
import { StreamAuthenticator } from './stream-authenticator';
import { StreamConnection } from './stream-connection';

/**
 * The registry of live connections, the one place that holds them: admits a new socket (or refuses it when the
 * server is shutting down or full), greets it, and forgets it when its socket closes, taking its routes, queue and
 * session with it. Everything the server keeps about a client lives on its StreamConnection.
 */
@Injectable()
export class ConnectionService implements OnModuleDestroy {
  private readonly config: StreamingConfig;
  private readonly addresses: ClientAddresses;
  private readonly connections = new Map<string, StreamConnection>();
  /** Live connections per client address (an address leaves the map with its last connection). */
  private readonly perAddress = new Map<string, number>();
  private accepting = true;
  private readonly openedSubject = new Subject<StreamConnection>();
  /** Every socket's 'error' listener (one for all). */
  private readonly onSocketError = (error: unknown): void =>
    this.metrics.connectionError(errorReason(error as Error & { code?: string }));
  /** Every connection accepted, as it is registered. */
  readonly opened$: Observable<StreamConnection> = this.openedSubject.asObservable();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
    private readonly flushes: FlushScheduler,
    private readonly index: SubscriptionIndex<StreamConnection>,
    private readonly metrics: StreamMetrics,
    private readonly authenticator: StreamAuthenticator,
  ) {
    this.config = config.streaming;
    this.addresses = new ClientAddresses(config.http.trustedProxies);
  }

  /** Shutdown, right after HTTP has stopped (the first step): no new WebSocket connection from here on. */
  onModuleDestroy(): void {
    this.stopAccepting();
    this.openedSubject.complete();
  }

  get size(): number {
    return this.connections.size;
  }

  /** The live connections, in the order they connected. */
  values(): IterableIterator<StreamConnection> {
    return this.connections.values();
  }

  get(sessionId: string): StreamConnection | undefined {
    return this.connections.get(sessionId);
  }

  /** Live connections from a client address. */
  connectionsFrom(address: string): number {
    return this.perAddress.get(address) ?? 0;
  }

  /**
   * Why a new client would be refused now (shutting down, the connection limit, the per-address limit), with its
   * close code; null when it may connect. Counted as a connection error when refused.
   */
  refusal(request: IncomingMessage): { code: CloseCode; reason: string } | null {
    if (!this.accepting) return { code: CloseCode.GoingAway, reason: 'server shutting down' };
    if (this.connections.size >= this.config.maxConnections) {
      this.metrics.connectionError(ConnectionErrorReason.ConnectionLimit);
      return { code: CloseCode.LimitExceeded, reason: 'connection limit reached' };
    }
    if (this.connectionsFrom(this.clientAddress(request)) >= this.config.maxConnectionsPerIp) {
      this.metrics.connectionError(ConnectionErrorReason.IpConnectionLimit);
      return { code: CloseCode.LimitExceeded, reason: 'connection limit per address reached' };
    }
    return null;
  }

  /** Who the request comes from: the TCP peer, or the client a trusted proxy names (TRUST_PROXY). */
  private clientAddress(request: IncomingMessage): string {
    return this.addresses.of(request.socket.remoteAddress, request.headers['x-forwarded-for']);
  }

  /** Registers a new socket and greets it, or refuses it (`closing`, then 4029 or 1001). */
  accept(socket: StreamSocket, request: IncomingMessage): StreamConnection | null {
    socket.on('error', this.onSocketError);
    const refusal = this.refusal(request);
    if (refusal !== null) {
      this.refuse(socket, refusal.code, refusal.reason);
      return null;
    }
    const admission = this.authenticator.admissionOf(request);
    if (!admission.admitted) {
      const forbidden = admission.code === 'forbidden';
      this.metrics.connectionError(
        forbidden ? ConnectionErrorReason.Forbidden : ConnectionErrorReason.Unauthorized,
      );
      this.refuse(socket, forbidden ? CloseCode.Forbidden : CloseCode.Unauthorized, admission.code);
      return null;
    }
    return this.register(socket, request.socket, request, admission.principal, admission.constraint);
  }

  /**
   * Registers an admitted client (a WebSocket, or an event stream whose request passed the route's access check)
   * and greets it with `welcome`.
   */
  register(
    socket: ClientSocket,
    transport: FrameTransport,
    request: IncomingMessage,
    principal: Principal,
    constraint: SubscriptionFilter | null,
  ): StreamConnection {
    const remoteAddress = this.clientAddress(request);
    const now = this.clock.now();
    const session = new Session(randomUUID(), now, {
      remote_address: remoteAddress,
      user_agent: (request.headers['user-agent'] ?? '').slice(0, MAX_USER_AGENT_LENGTH),
    });
    const connection = new StreamConnection(
      socket,
      transport,
      session,
      remoteAddress,
      this.flushes,
      this.metrics,
      {
        maxPendingMessages: this.config.maxPendingMessages,
        maxMessagesPerSecond: this.config.maxMessagesPerSecond,
      },
      principal,
      constraint,
    );
    socket.connection = connection;
    this.connections.set(session.id, connection);
    this.perAddress.set(remoteAddress, this.connectionsFrom(remoteAddress) + 1);
    this.metrics.connectionOpened();
    this.openedSubject.next(connection);
    // Written now: a WebSocket's socket is still corked with the 101 answer in it (see StreamWsAdapter.create), so
    // the two leave in one write.
    connection.replyNow({
      type: ServerMessageType.Welcome,
      session_id: session.id,
      server_time: isoTimestamp(now),
    });
    return connection;
  }

  /** Forgets a connection whose socket has closed. */
  release(socket: ClientSocket): void {
    const connection = socket.connection;
    if (connection === undefined || this.connections.get(connection.id) !== connection) return;
    this.connections.delete(connection.id);
    const fromAddress = this.connectionsFrom(connection.remoteAddress) - 1;
    if (fromAddress > 0) this.perAddress.set(connection.remoteAddress, fromAddress);
    else this.perAddress.delete(connection.remoteAddress);
    this.index.remove(connection);
    connection.release();
    const seconds = (this.clock.now() - connection.session.createdAt) / 1000;
    this.metrics.connectionClosed(seconds, connection.subscriptions.size);
  }

  /** Stops accepting connections (shutdown): new ones get `closing` and 1001. */
  stopAccepting(): void {
    this.accepting = false;
  }

  private refuse(socket: StreamSocket, code: number, reason: string): void {
    const closing = controlFrame({ type: ServerMessageType.Closing, reason });
    socket.send(closing.data, { binary: false });
    this.metrics.frameWritten(closing);
    socket.close(code, reason);
  }
}

/** Session metadata is kept for the connection's life: keep what a client sends there small. */
const MAX_USER_AGENT_LENGTH = 256;

/** A bounded set of labels for connection errors. */
function errorReason(error: Error & { code?: string }): ConnectionErrorReason {
  if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return ConnectionErrorReason.MessageTooLarge;
  if (error.code?.startsWith('WS_ERR_') === true) return ConnectionErrorReason.ProtocolError;
  return ConnectionErrorReason.SocketError;
}
