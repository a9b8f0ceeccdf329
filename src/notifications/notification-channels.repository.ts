import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';
import { DefinitionStore } from '../storage/definition.store';
import type { NotificationChannel } from './notification-channel';

@Injectable()
export class NotificationChannelsRepository extends DefinitionStore<NotificationChannel> {
  constructor(database: DatabaseService) {
    super(database, 'notification_channels');
  }
}
