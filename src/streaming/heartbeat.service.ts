import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ConnectionService } from './connection.service';
import { OutboundFrame, controlFrame } from './outbound-frame';
import type { StreamConnection } from './stream-connection';
import { StreamMetrics } from './stream-metrics';
import { ServerMessageType } from './stream-protocol';

/** A peer that has not answered this many consecutive pings is dead. */
export const MAX_MISSED_PINGS = 2;

/**
 * A heartbeat round is spread over the interval in ticks of about this length. Pinging every connection in one
 * event-loop turn (5,000 writes at once) stalls event delivery for that turn; a tick handles a few dozen.
 */
export const HEARTBEAT_TICK_MS = 100;

/**
 * Liveness: once per `heartbeatInterval`, each connection gets a WebSocket ping (a peer that missed two is
 * terminated) and the JSON `pong` heartbeat, and any connection whose socket closed without us hearing of it is
 * removed. The connections present at the start of a round are visited in slices, one per tick, so each one is
 * still visited once per interval.
 */
@Injectable()
export class HeartbeatService implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private readonly intervalMs: number;
  private readonly ticksPerRound: number;
  private round: StreamConnection[] = [];
  private visited = 0;
  private ticksDone = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly connections: ConnectionService,
    private readonly metrics: StreamMetrics,
  ) {
    this.intervalMs = config.streaming.heartbeatIntervalMs;
    this.ticksPerRound = Math.max(1, Math.floor(this.intervalMs / HEARTBEAT_TICK_MS));
  }

  onModuleInit(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs / this.ticksPerRound);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Visits the next slice of the current round, starting a round (a snapshot of the connections) when due. */
  tick(): void {
    if (this.ticksDone === 0) {
      this.round = Array.from(this.connections.all());
      this.visited = 0;
    }
    this.ticksDone += 1;
    const end = Math.ceil((this.round.length * this.ticksDone) / this.ticksPerRound);
    if (this.visited < end) {
      const pong = controlFrame({ type: ServerMessageType.Pong, timestamp: new Date().toISOString() });
      while (this.visited < end) this.visit(this.round[this.visited++], pong);
    }
    if (this.ticksDone === this.ticksPerRound) {
      this.ticksDone = 0;
      this.round = [];
    }
  }

  private visit(connection: StreamConnection, pong: OutboundFrame): void {
    if (connection.isClosed) {
      this.connections.release(connection.socket);
      return;
    }
    if (!connection.isOpen) return;
    if (connection.missedPings >= MAX_MISSED_PINGS) {
      this.metrics.connectionError('heartbeat_timeout');
      connection.terminate();
      return;
    }
    connection.heartbeat(pong);
  }
}
