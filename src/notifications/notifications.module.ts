import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { NotificationChannelsRepository } from './notification-channels.repository';
import { NotificationChannelsService } from './notification-channels.service';
import { NotificationOutboxRepository } from './notification-outbox.repository';
import { NotificationQueueService } from './notification-queue.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsListener } from './notifications.listener';
import { DestinationGuard } from './outgoing/destination-guard';
import { DnsResolver } from './outgoing/dns-resolver';
import { WebhookClient } from './webhook.client';

/** Notification channels (REST), the delivery queue (a durable outbox), and the listener that notifies on incident events. */
@Module({
  imports: [IncidentsModule],
  controllers: [NotificationsController],
  providers: [
    DnsResolver,
    DestinationGuard,
    WebhookClient,
    NotificationChannelsRepository,
    NotificationChannelsService,
    NotificationOutboxRepository,
    NotificationQueueService,
    NotificationsListener,
  ],
  exports: [DestinationGuard, WebhookClient, NotificationChannelsService, NotificationQueueService],
})
export class NotificationsModule {}
