import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { hostname } from 'node:os';
import { Clock } from '../clock/clock';
import { EventPublisher } from '../events/event-publisher.service';
import { EventType } from '../events/event.types';
import { PublishedSystemEvent, ServerCategory } from './system-event';

/**
 * `system_event` producer: the server's start and operator notices (maintenance windows...). The stopping event is
 * published by the streaming shutdown (it must go out right before the sockets close), so there is exactly one.
 * Events are stored in the event log like every other, so a client that replays the log sees them too.
 */
@Injectable()
export class SystemService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SystemService.name);

  constructor(
    private readonly clock: Clock,
    private readonly publisher: EventPublisher,
  ) {}

  async publish(
    category: string,
    message: string,
    metadata: Record<string, string> = {},
  ): Promise<PublishedSystemEvent> {
    const timestamp = this.clock.nowIso();
    await this.publisher.run((_tx, events) => {
      events.record({ event_type: EventType.SystemEvent, category, message, metadata }, null);
      return Promise.resolve();
    });
    return { category, message, metadata, timestamp };
  }

  /** One line when shutdown begins (the stored `system_event` comes from the streaming shutdown). */
  beforeApplicationShutdown(signal?: string): void {
    this.logger.log({ msg: 'shutdown started', signal: signal ?? null });
  }

  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.publish(ServerCategory.Startup, 'Server started', {
        hostname: hostname(),
        pid: String(process.pid),
        node_version: process.version,
      });
    } catch (error) {
      // A lifecycle notice must never stop the server from starting.
      this.logger.warn(
        `could not publish the startup event: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
