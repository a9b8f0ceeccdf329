import { Global, Module } from '@nestjs/common';
import { BroadcasterService } from './broadcaster.service';
import { EventLogRepository } from './event-log.repository';
import { EventPublisher } from './event-publisher.service';
import { EventsController } from './events.controller';

@Global()
@Module({
  controllers: [EventsController],
  providers: [BroadcasterService, EventLogRepository, EventPublisher],
  exports: [BroadcasterService, EventLogRepository, EventPublisher],
})
export class EventsModule {}
