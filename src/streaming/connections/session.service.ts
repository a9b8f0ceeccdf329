import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Clock, Timer } from '../../clock/clock';
import { APP_CONFIG, AppConfig, StreamingConfig } from '../../config/app-config';
import { CloseCode } from '../protocol/stream-protocol';
import { ConnectionService } from './connection.service';

/**
 * Session expiry: every `cleanupInterval` it closes (after writing what is queued, `closing`, then 4010) every
 * session idle for longer than `sessionTimeout`, that is, with no client message and no pong in that time.
 */
@Injectable()
export class SessionService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Streaming');
  private readonly config: StreamingConfig;
  private sweepTimer: Timer | null = null;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
    private readonly connections: ConnectionService,
  ) {
    this.config = config.streaming;
  }

  onModuleInit(): void {
    this.sweepTimer = this.clock.setInterval(() => this.sweep(), this.config.cleanupIntervalMs);
  }

  onModuleDestroy(): void {
    this.sweepTimer?.cancel();
    this.sweepTimer = null;
  }

  /** Closes every open connection whose session has been idle for longer than the timeout. */
  sweep(): void {
    const now = this.clock.now();
    for (const connection of this.connections.values()) {
      if (!connection.isOpen || !connection.session.isIdle(now, this.config.sessionTimeoutMs)) continue;
      this.logger.log(`session ${connection.id} expired after ${this.config.sessionTimeoutMs} ms idle`);
      connection.close(CloseCode.SessionExpired, 'session expired', true);
    }
  }
}
