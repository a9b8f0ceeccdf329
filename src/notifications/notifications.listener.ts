import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { BroadcasterService } from '../events/broadcaster.service';
import type { EventEnvelope } from '../events/event-envelope';
import { EventType } from '../events/event.types';
import type { NotificationChannel } from './notification-channel';
import { NotificationChannelsService } from './notification-channels.service';
import {
  NotificationContent,
  NotificationTrigger,
  createdMessage,
  escalatedMessage,
  resolvedMessage,
} from './notification-content';
import { Destination, NotificationQueueService } from './notification-queue.service';

/**
 * Notifies the configured channels of incident creation, escalation and resolution. It only decides whom to notify
 * and queues the deliveries (synchronously, from memory): the network work happens in NotificationQueueService,
 * so the publishing unit of work is never held up, and a failure here never reaches the event stream.
 */
@Injectable()
export class NotificationsListener implements OnModuleInit, OnModuleDestroy {
  private subscription?: Subscription;

  constructor(
    private readonly broadcaster: BroadcasterService,
    private readonly channels: NotificationChannelsService,
    private readonly queue: NotificationQueueService,
  ) {}

  onModuleInit(): void {
    this.subscription = this.broadcaster.listen('NotificationsListener', (envelope) =>
      this.onEvent(envelope),
    );
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private onEvent({ event, incident }: EventEnvelope): void {
    if (!incident) return;
    switch (event.event_type) {
      case EventType.IncidentCreated:
        this.notify(this.channels.subscribedTo(event.event_type, incident.severity), {
          trigger: NotificationTrigger.IncidentCreated,
          message: createdMessage(incident),
          incident,
        });
        return;
      case EventType.Escalated: {
        const escalation = {
          from_severity: event.from_severity,
          to_severity: event.to_severity,
          reason: event.reason,
        };
        this.notify(this.channels.subscribedTo(event.event_type, incident.severity), {
          trigger: NotificationTrigger.Escalated,
          message: escalatedMessage(incident, escalation),
          incident,
          escalation,
        });
        return;
      }
      case EventType.IncidentResolved:
        this.notify(this.channels.subscribedTo(event.event_type, incident.severity), {
          trigger: NotificationTrigger.IncidentResolved,
          message: resolvedMessage(incident),
          incident,
        });
        return;
      default:
        return;
    }
  }

  private notify(channels: NotificationChannel[], content: NotificationContent): void {
    for (const channel of channels) {
      // The outcome is recorded by the queue itself; nothing here waits for it.
      void this.queue.enqueue(destinationOf(channel), content);
    }
  }
}

export function destinationOf(channel: NotificationChannel): Destination {
  return { label: channel.name, type: channel.type, url: channel.url, headers: channel.headers };
}
