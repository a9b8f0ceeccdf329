import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { NotificationChannelsRepository } from './notification-channels.repository';
import { NotificationChannelsService } from './notification-channels.service';
import { NotificationQueueService } from './notification-queue.service';
import { NotificationsController } from './notifications.controller';
import { NotificationsListener } from './notifications.listener';
import { WebhookClient } from './webhook.client';

/** Notification channels (REST), the delivery queue, and the listener that notifies on incident events. */
@Module({
  imports: [IncidentsModule],
  controllers: [NotificationsController],
  providers: [
    WebhookClient,
    NotificationChannelsRepository,
    NotificationChannelsService,
    NotificationQueueService,
    NotificationsListener,
  ],
  exports: [WebhookClient, NotificationChannelsService, NotificationQueueService],
})
export class NotificationsModule {}
