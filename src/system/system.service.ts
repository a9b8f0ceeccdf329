import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { hostname } from 'node:os';
import { EventPublisher } from '../events/event-publisher.service';
import { EventType } from '../events/event.types';
import { PublishedSystemEvent, SERVER_CATEGORY, ServerMessage } from './system-event';

/**
 * `system_event` producer: the server's start and stop, and operator notices (maintenance windows...). Events are
 * stored in the event log like every other, so a client that replays the log sees them too.
 */
@Injectable()
export class SystemService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SystemService.name);
  private readonly startedAt = Date.now();
  private stoppingAnnounced = false;

  constructor(private readonly publisher: EventPublisher) {}

  async publish(
    category: string,
    message: string,
    metadata: Record<string, string> = {},
  ): Promise<PublishedSystemEvent> {
    const timestamp = new Date().toISOString();
    await this.publisher.run((_tx, events) => {
      events.record({ event_type: EventType.SystemEvent, category, message, metadata }, null);
      return Promise.resolve();
    });
    return { category, message, metadata, timestamp };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.announce(ServerMessage.Started, { ...this.serverMetadata() });
  }

  /**
   * Announced in the first shutdown phase, while the WebSocket server still has its clients and before the
   * publisher and the database close, so that subscribers receive it and the log keeps it.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.stoppingAnnounced) return;
    this.stoppingAnnounced = true;
    await this.announce(ServerMessage.Stopping, {
      ...this.serverMetadata(),
      uptime_seconds: String(Math.round((Date.now() - this.startedAt) / 1000)),
    });
  }

  private async announce(message: string, metadata: Record<string, string>): Promise<void> {
    try {
      await this.publish(SERVER_CATEGORY, message, metadata);
    } catch (error) {
      // A lifecycle notice must never stop the server from starting or stopping.
      this.logger.warn(
        `could not publish "${message}": ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private serverMetadata(): Record<string, string> {
    return { hostname: hostname(), pid: String(process.pid), node_version: process.version };
  }
}
