import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { EventPublisher } from '../../events/event-publisher.service';
import { EventType } from '../../events/event.types';
import { CloseCode } from '../protocol/stream-protocol';
import { ConnectionService } from './connection.service';
import { FlushScheduler } from './flush-scheduler';

/** Longest wait for clients to complete the close handshake at shutdown before they are cut. */
const MAX_CLOSE_WAIT_MS = 5000;

/**
 * Graceful shutdown of the stream (step 2 of the order in app.setup.ts): HTTP has already stopped and answered its
 * requests in flight, so every event they committed is queued to the clients. Publish the shutdown `system_event`
 * (a real, stored event, serialized behind every unit of work committed before it), then to every client write
 * what is queued, that event last, `closing`, and close 1001; wait for the close handshakes, at most the close
 * wait. The database closes after this (onApplicationShutdown).
 */
@Injectable()
export class StreamShutdownService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Streaming');
  private readonly closeWaitMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly connections: ConnectionService,
    private readonly flushes: FlushScheduler,
    private readonly publisher: EventPublisher,
  ) {
    this.closeWaitMs = Math.min(MAX_CLOSE_WAIT_MS, config.http.shutdownGraceMs / 2);
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    // Already done when the module was destroyed; kept so that this step holds on its own.
    this.connections.stopAccepting();
    try {
      await this.publisher.run((_tx, events) => {
        events.record(
          {
            event_type: EventType.SystemEvent,
            category: 'shutdown',
            message: 'Server shutting down',
            metadata: signal === undefined ? {} : { signal },
          },
          null,
        );
        return Promise.resolve();
      });
    } catch (error) {
      this.logger.warn(
        `could not publish the shutdown event: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    await this.closeAll(CloseCode.GoingAway, 'server shutdown');
  }

  /**
   * Closes every connection after writing what is queued for it, then waits for the peers to complete the close
   * handshake; whoever has not by the close wait is terminated. The wait is a real-time safety net for a process
   * that is stopping, not application time, so it does not go through the Clock.
   */
  private async closeAll(code: number, reason: string): Promise<void> {
    this.flushes.flushAll();
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
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.closeWaitMs))),
    ]);
    clearTimeout(timer);
    for (const connection of open) if (!connection.isClosed) connection.terminate();
  }
}
