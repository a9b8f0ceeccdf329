import { Module } from '@nestjs/common';
import { ClientMessageGuard } from './connections/client-message.guard';
import { ConnectionService } from './connections/connection.service';
import { FanoutService } from './routing/fanout.service';
import { HeartbeatService } from './connections/heartbeat.service';
import { SessionService } from './connections/session.service';
import { StreamExceptionFilter } from './protocol/stream-exception.filter';
import { StreamMetrics } from './stream-metrics';
import { StreamShutdownService } from './connections/stream-shutdown.service';
import { StreamValidationPipe } from './protocol/stream-validation.pipe';
import { StreamGateway } from './stream.gateway';
import { SubscriptionIndex } from './routing/subscription-index';
import { SubscriptionService } from './routing/subscription.service';

/**
 * Real-time streaming over WebSocket (`GET /ws`, contract section 3): the only module that knows about sockets.
 * It consumes BroadcasterService.events$ and needs StreamWsAdapter installed on the app (see app.setup.ts).
 */
@Module({
  providers: [
    StreamGateway,
    ConnectionService,
    SessionService,
    SubscriptionService,
    SubscriptionIndex,
    FanoutService,
    HeartbeatService,
    StreamShutdownService,
    StreamMetrics,
    ClientMessageGuard,
    StreamValidationPipe,
    StreamExceptionFilter,
  ],
})
export class StreamingModule {}
