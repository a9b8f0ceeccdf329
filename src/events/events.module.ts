import { Global, Module } from '@nestjs/common';
import { BroadcasterService } from './broadcaster.service';
import { EventBusService } from './bus/event-bus.service';
import { EventLogRetentionRepository } from './event-log-retention.repository';
import { EventLogRetentionService } from './event-log-retention.service';
import { EventLogRepository } from './event-log.repository';
import { EventLogService } from './event-log.service';
import { EventPublisher } from './event-publisher.service';
import { EventsController } from './events.controller';

@Global()
@Module({
  controllers: [EventsController],
  providers: [
    BroadcasterService,
    EventLogRepository,
    EventLogService,
    EventPublisher,
    EventLogRetentionRepository,
    EventLogRetentionService,
    EventBusService,
  ],
  exports: [
    BroadcasterService,
    EventPublisher,
    EventLogRepository,
    EventLogRetentionRepository,
    EventBusService,
  ],
})
export class EventsModule {}
