import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { Clock, Timer } from '../../clock/clock';
import { isoTimestamp } from '../../clock/iso-timestamp';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ServerMessageType } from '../protocol/stream-protocol';
import { ConnectionErrorReason, StreamMetrics } from '../stream-metrics';
import { OutboundFrame, controlFrame } from '../transport/outbound-frame';
import { ConnectionService } from './connection.service';
import type { ClientSocket } from '../transport/client-socket';
import type { StreamConnection } from './stream-connection';

/** A peer that has not answered this many consecutive pings is dead. */
export const MAX_MISSED_PINGS = 2;

/** How often the heartbeat looks for connections that are due (at most the heartbeat interval). */
export const HEARTBEAT_TICK_MS = 100;

/** Connections a tick may always visit, however few are connected. */
export const MIN_VISITS_PER_TICK = 64;

/**
 * Liveness, both directions: each connection gets, every `heartbeatInterval` from the time it connected, a
 * WebSocket ping and the JSON `pong` heartbeat; its pongs reset its missed-ping count, and a peer that missed two
 * is terminated. A connection whose socket closed without us hearing of it is released.
 *
 * Connections wait in a queue ordered by due time (the due time is kept on the connection) and each tick (100 ms)
 * visits those that are due, at most twice the average share of a tick. Heartbeating every connection in one
 * event-loop turn (5,000 writes at once every 30 s) stalled event delivery for that turn; with the cap, even
 * connections that all arrived in the same second spread out over the interval after their first round.
 */
@Injectable()
export class HeartbeatService implements OnModuleInit, OnModuleDestroy {
  private timer: Timer | null = null;
  private opened: Subscription | null = null;
  private readonly intervalMs: number;
  private readonly ticksPerInterval: number;
  private queue: StreamConnection[] = [];
  /** Every socket's pong hook (one function for all). */
  private readonly onPong: (socket: ClientSocket) => void;
  private head = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
    private readonly connections: ConnectionService,
    private readonly metrics: StreamMetrics,
  ) {
    this.intervalMs = config.streaming.heartbeatIntervalMs;
    this.ticksPerInterval = Math.max(1, Math.floor(this.intervalMs / HEARTBEAT_TICK_MS));
    this.onPong = (socket: ClientSocket): void => socket.connection?.pongReceived(this.clock.now());
  }

  onModuleInit(): void {
    this.opened = this.connections.opened$.subscribe((connection) => this.track(connection));
    this.timer = this.clock.setInterval(
      () => this.tick(this.clock.now()),
      this.intervalMs / this.ticksPerInterval,
    );
  }

  onModuleDestroy(): void {
    this.opened?.unsubscribe();
    this.timer?.cancel();
    this.timer = null;
  }

  /** Starts heartbeating a new connection: first beat one interval from now; its pongs prove it alive. */
  track(connection: StreamConnection): void {
    connection.heartbeatDueAt = this.clock.now() + this.intervalMs;
    connection.socket.onPong = this.onPong;
    this.queue.push(connection);
  }

  /** Visits the connections due at `now`, oldest due first, up to this tick's share. */
  tick(now: number): void {
    const budget = Math.max(
      MIN_VISITS_PER_TICK,
      2 * Math.ceil(this.connections.size / this.ticksPerInterval),
    );
    let pong: OutboundFrame | null = null;
    let visited = 0;
    while (this.head < this.queue.length && visited < budget) {
      const connection = this.queue[this.head];
      if (connection.heartbeatDueAt > now) break;
      this.head += 1;
      visited += 1;
      pong ??= controlFrame({ type: ServerMessageType.Pong, timestamp: isoTimestamp(now) });
      if (this.visit(connection, pong)) {
        connection.heartbeatDueAt = now + this.intervalMs;
        this.queue.push(connection);
      }
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Heartbeats one connection; false once it is gone and needs no more visits. */
  private visit(connection: StreamConnection, pong: OutboundFrame): boolean {
    if (connection.isClosed) {
      this.connections.release(connection.socket);
      return false;
    }
    if (!connection.isOpen) return true;
    if (connection.missedPings >= MAX_MISSED_PINGS) {
      this.metrics.connectionError(ConnectionErrorReason.HeartbeatTimeout);
      connection.terminate();
      return true;
    }
    // A client that cannot answer (an event stream) is alive as long as its connection takes our writes.
    if (!connection.answersPings) connection.pongReceived(this.clock.now());
    connection.heartbeat(pong);
    return true;
  }
}
