import { Module } from '@nestjs/common';
import { ClientMessageGuard } from './client-message.guard';
import { ConnectionService } from './connection.service';
import { FanoutService } from './fanout.service';
import { HeartbeatService } from './heartbeat.service';
import { SessionService } from './session.service';
import { StreamExceptionFilter } from './stream-exception.filter';
import { StreamMetrics } from './stream-metrics';
import { StreamShutdownService } from './stream-shutdown.service';
import { StreamValidationPipe } from './stream-validation.pipe';
import { StreamGateway } from './stream.gateway';
import { SubscriptionIndex } from './subscription-index';
import { SubscriptionService } from './subscription.service';

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
