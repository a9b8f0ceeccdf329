import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ConnectionService } from './connection.service';
import { controlFrame } from './outbound-frame';
import { StreamMetrics } from './stream-metrics';
import { ServerMessageType } from './stream-protocol';

/** A peer that has not answered this many consecutive pings is dead. */
export const MAX_MISSED_PINGS = 2;

/**
 * Liveness, every `heartbeatInterval`: a WebSocket ping to each connection (a peer that missed two is terminated),
 * the JSON `pong` heartbeat (one frame, shared by all connections), and the removal of any connection whose socket
 * closed without us hearing of it.
 */
@Injectable()
export class HeartbeatService implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private readonly intervalMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly connections: ConnectionService,
    private readonly metrics: StreamMetrics,
  ) {
    this.intervalMs = config.streaming.heartbeatIntervalMs;
  }

  onModuleInit(): void {
    this.timer = setInterval(() => this.beat(), this.intervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  beat(): void {
    const pong = controlFrame({ type: ServerMessageType.Pong, timestamp: new Date().toISOString() });
    for (const connection of this.connections.all()) {
      if (connection.isClosed) {
        this.connections.release(connection.socket);
        continue;
      }
      if (!connection.isOpen) continue;
      if (connection.missedPings >= MAX_MISSED_PINGS) {
        this.metrics.connectionError('heartbeat_timeout');
        connection.terminate();
        continue;
      }
      connection.missedPings += 1;
      connection.socket.ping();
      connection.sendControl(pong);
    }
  }
}
