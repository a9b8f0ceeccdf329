import { Global, Module } from '@nestjs/common';
import { BroadcasterService } from './broadcaster.service';
import { EventLogRepository } from './event-log.repository';
import { EventPublisher } from './event-publisher.service';

@Global()
@Module({
  providers: [BroadcasterService, EventLogRepository, EventPublisher],
  exports: [BroadcasterService, EventLogRepository, EventPublisher],
})
export class EventsModule {}
