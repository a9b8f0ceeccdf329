import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { EventPublisher } from '../../events/event-publisher.service';
import { EventType } from '../../events/event.types';
import { ConnectionService } from './connection.service';
import { CloseCode } from '../protocol/stream-protocol';

/** Longest wait for clients to complete the close handshake at shutdown before they are cut. */
const MAX_CLOSE_WAIT_MS = 5000;

/**
 * Graceful shutdown of the stream, before the database closes (Nest runs onApplicationShutdown after this):
 * stop accepting connections, publish the shutdown `system_event` (a real, stored event), then to every client
 * write what is queued, `closing`, and close 1001.
 */
@Injectable()
export class StreamShutdownService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Streaming');
  private readonly closeWaitMs: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly connections: ConnectionService,
    private readonly publisher: EventPublisher,
  ) {
    this.closeWaitMs = Math.min(MAX_CLOSE_WAIT_MS, config.http.shutdownGraceMs / 2);
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
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
    await this.connections.closeAll(CloseCode.GoingAway, 'server shutdown', this.closeWaitMs);
  }
}
