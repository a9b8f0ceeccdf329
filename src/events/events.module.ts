import { Global, Module } from '@nestjs/common';
import { BroadcasterService } from './broadcaster.service';
import { EventLogRepository } from './event-log.repository';
import { EventLogService } from './event-log.service';
import { EventPublisher } from './event-publisher.service';
import { EventsController } from './events.controller';

@Global()
@Module({
  controllers: [EventsController],
  providers: [BroadcasterService, EventLogRepository, EventLogService, EventPublisher],
  exports: [BroadcasterService, EventPublisher],
})
export class EventsModule {}
