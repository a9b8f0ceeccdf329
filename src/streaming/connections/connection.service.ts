import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { Observable, Subject, Subscription } from 'rxjs';
import { APP_CONFIG, AppConfig, StreamingConfig } from '../../config/app-config';
import { clientAddress } from '../transport/client-address';
import { OutboundFrame, controlFrame } from '../transport/outbound-frame';
import { RateVerdict } from './rate-limiter';
import type { Session } from './session';
import { SessionService } from './session.service';
import { ConnectionHost, StreamConnection } from './stream-connection';
import { StreamError } from '../protocol/stream-error';
import { StreamMetrics } from '../stream-metrics';
import { CloseCode, ServerMessageType, StreamErrorCode } from '../protocol/stream-protocol';
import type { StreamSocket } from '../transport/stream-socket';
import { SubscriptionIndex } from '../routing/subscription-index';

/**
 * The registry of live connections and the owner of their write schedule. Connections ask for a flush; all of
 * them are flushed together at the end of the event-loop turn (`setImmediate`), so that every frame due to one
 * connection in one turn leaves in one write. Also applies the connection-level limits and policies: maximum
 * connections, client message rate, idle expiry and slow consumers.
 */
@Injectable()
export class ConnectionService implements ConnectionHost, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Streaming');
  private readonly config: StreamingConfig;
  private readonly connections = new Map<string, StreamConnection>();
  private toFlush: StreamConnection[] = [];
  private flushing: StreamConnection[] = [];
  private flushHandle: NodeJS.Immediate | null = null;
  private eventsSinceFlush = 0;
  private accepting = true;
  private expiry: Subscription | null = null;
  private readonly openedSubject = new Subject<StreamConnection>();
  /** Every connection accepted, as it is registered. */
  readonly opened$: Observable<StreamConnection> = this.openedSubject.asObservable();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly sessions: SessionService,
    private readonly index: SubscriptionIndex<StreamConnection>,
    private readonly metrics: StreamMetrics,
  ) {
    this.config = config.streaming;
  }

  onModuleInit(): void {
    this.expiry = this.sessions.expired$.subscribe((session) => this.expire(session));
  }

  onModuleDestroy(): void {
    this.expiry?.unsubscribe();
    this.openedSubject.complete();
  }

  get size(): number {
    return this.connections.size;
  }

  all(): IterableIterator<StreamConnection> {
    return this.connections.values();
  }

  get(sessionId: string): StreamConnection | undefined {
    return this.connections.get(sessionId);
  }

  /** Registers a new socket and greets it, or refuses it (`closing`, then 4029 or 1001). */
  accept(socket: StreamSocket, request: IncomingMessage): StreamConnection | null {
    socket.on('error', (error: Error & { code?: string }) =>
      this.metrics.connectionError(errorReason(error)),
    );
    if (!this.accepting) {
      this.refuse(socket, CloseCode.GoingAway, 'server shutting down');
      return null;
    }
    if (this.connections.size >= this.config.maxConnections) {
      this.metrics.connectionError('connection_limit');
      this.refuse(socket, CloseCode.LimitExceeded, 'connection limit reached');
      return null;
    }
    const remoteAddress = clientAddress(request);
    const session = this.sessions.create({
      remote_address: remoteAddress,
      user_agent: (request.headers['user-agent'] ?? '').slice(0, MAX_USER_AGENT_LENGTH),
    });
    const connection = new StreamConnection(socket, request.socket, session, remoteAddress, this, {
      maxPendingMessages: this.config.maxPendingMessages,
      maxMessagesPerSecond: this.config.maxMessagesPerSecond,
    });
    socket.connection = connection;
    socket.on('pong', () => {
      connection.missedPings = 0;
      session.touch(Date.now());
    });
    this.connections.set(session.id, connection);
    this.metrics.connectionOpened();
    this.openedSubject.next(connection);
    connection.reply({
      type: ServerMessageType.Welcome,
      session_id: session.id,
      server_time: new Date().toISOString(),
    });
    return connection;
  }

  /** Forgets a connection whose socket has closed. */
  release(socket: StreamSocket): void {
    const connection = socket.connection;
    if (connection === undefined || this.connections.get(connection.id) !== connection) return;
    this.connections.delete(connection.id);
    this.index.remove(connection);
    connection.release();
    const seconds = this.sessions.end(connection.session);
    this.metrics.connectionClosed(seconds, connection.session.subscriptions.size);
  }

  /**
   * Admits one client message: records activity and applies the rate limit. Throws RATE_LIMITED over the limit;
   * on sustained abuse closes the connection (4029) and returns false.
   */
  admit(socket: StreamSocket, messageType: string): boolean {
    this.metrics.messageReceived(messageType);
    const connection = socket.connection;
    if (connection === undefined || !connection.isOpen) return false;
    const now = Date.now();
    connection.session.touch(now);
    connection.session.messageCount += 1;
    switch (connection.rate.hit(now)) {
      case RateVerdict.Allowed:
        return true;
      case RateVerdict.Limited:
        throw new StreamError(
          StreamErrorCode.RateLimited,
          `more than ${this.config.maxMessagesPerSecond} messages per second; message ignored`,
        );
      case RateVerdict.Abusive:
        this.metrics.connectionError('rate_limit');
        connection.close(CloseCode.LimitExceeded, 'message rate limit exceeded', false);
        return false;
    }
  }

  /** Stops accepting connections (shutdown): new ones get `closing` and 1001. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Closes every connection with `code` after writing what is queued for it, then waits for the peers to complete
   * the close handshake, at most `timeoutMs`; whoever has not by then is terminated.
   */
  async closeAll(code: number, reason: string, timeoutMs: number): Promise<void> {
    this.flushAll();
    const open = [...this.connections.values()];
    const closed = open.map(
      (connection) =>
        new Promise<void>((resolve) => {
          if (connection.isClosed) resolve();
          else connection.socket.once('close', () => resolve());
        }),
    );
    for (const connection of open) connection.close(code, reason, true);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    for (const connection of open) if (!connection.isClosed) connection.terminate();
  }

  /**
   * Called by the fan-out for each event queued to at least one connection. Those events wait for the end of the
   * turn; if one turn carries more than the broadcast capacity, they are written now instead.
   */
  eventQueued(): void {
    this.eventsSinceFlush += 1;
    if (this.eventsSinceFlush >= this.config.broadcastCapacity) this.flushAll();
  }

  // ConnectionHost

  scheduleFlush(connection: StreamConnection): void {
    if (connection.flushScheduled) return;
    connection.flushScheduled = true;
    this.toFlush.push(connection);
    this.flushHandle ??= setImmediate(this.flushAll);
  }

  written(frame: OutboundFrame): void {
    this.metrics.frameWritten(frame);
  }

  shed(_connection: StreamConnection, priority: number): void {
    this.metrics.shed(priority);
  }

  dropped(count: number): void {
    this.metrics.dropped(count);
  }

  sendFailed(connection: StreamConnection, error: unknown): void {
    this.metrics.sendError();
    this.logger.debug(
      `write to ${connection.id} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  slowConsumer(connection: StreamConnection): void {
    if (!connection.isOpen) return;
    this.metrics.slowConsumerClosed();
    this.logger.warn(`closing slow consumer ${connection.id} (${connection.remoteAddress})`);
    connection.close(CloseCode.SlowConsumer, 'slow consumer', false);
  }

  /** Writes every connection that has something queued. Runs once per event-loop turn in which anything was queued. */
  readonly flushAll = (): void => {
    if (this.flushHandle !== null) clearImmediate(this.flushHandle);
    this.flushHandle = null;
    this.metrics.broadcastUsage(this.eventsSinceFlush / this.config.broadcastCapacity);
    this.eventsSinceFlush = 0;
    // Swap lists: a connection that drains during the pass schedules itself for the next one.
    const batch = this.toFlush;
    this.toFlush = this.flushing;
    this.flushing = batch;
    try {
      for (let i = 0; i < batch.length; i++) {
        const connection = batch[i];
        connection.flushScheduled = false;
        try {
          connection.flush();
        } catch (error) {
          // One broken socket must not stall the others' writes.
          this.sendFailed(connection, error);
        }
      }
    } finally {
      batch.length = 0;
      this.metrics.commitWrites();
    }
  };

  private expire(session: Session): void {
    const connection = this.connections.get(session.id);
    if (connection === undefined || !connection.isOpen) return;
    this.logger.log(`session ${session.id} expired after ${this.config.sessionTimeoutMs} ms idle`);
    connection.close(CloseCode.SessionExpired, 'session expired', true);
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
function errorReason(error: Error & { code?: string }): string {
  if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'message_too_large';
  if (error.code?.startsWith('WS_ERR_') === true) return 'protocol_error';
  return 'socket_error';
}
