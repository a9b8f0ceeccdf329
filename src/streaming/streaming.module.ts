import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { ClientMessageGuard } from './connections/client-message.guard';
import { ConnectionService } from './connections/connection.service';
import { FlushScheduler } from './connections/flush-scheduler';
import { HeartbeatService } from './connections/heartbeat.service';
import { SessionService } from './connections/session.service';
import { CredentialLifetimeService } from './connections/credential-lifetime.service';
import { StreamAuthenticator } from './connections/stream-authenticator';
import { StreamShutdownService } from './connections/stream-shutdown.service';
import { StreamExceptionFilter } from './protocol/stream-exception.filter';
import { StreamValidationPipe } from './protocol/stream-validation.pipe';
import { EventStreamController } from './event-stream/event-stream.controller';
import { ReplayService } from './replay/replay.service';
import { SnapshotReader } from './replay/snapshot.reader';
import { FanoutService } from './routing/fanout.service';
import { SubscriptionIndex } from './routing/subscription-index';
import { SubscriptionService } from './routing/subscription.service';
import { StreamMetrics } from './stream-metrics';
import { StreamGateway } from './stream.gateway';

/**
 * Real-time streaming over WebSocket (`GET /ws`, contract section 3) and Server-Sent Events (`GET /v1/stream`): the only module that knows about sockets.
 * It consumes BroadcasterService.events$ and needs StreamWsAdapter installed on the app (see app.setup.ts).
 *
 * Where things live:
 * - `protocol/`: the wire: message types and codes, the frame parser, DTOs and validators, errors and how they are
 *   answered;
 * - `transport/`: bytes on sockets: the `ws` adapter, the socket class, pre-encoded frames, WebSocket framing;
 * - `connections/`: one StreamConnection per client holding all its state, the registry that admits and releases
 *   them, and what acts on them over time: flushes, heartbeat, idle expiry, message admission, shutdown;
 * - `routing/`: which events go to whom: subscriptions, their filters, the routing index and the fan-out;
 * - `event-stream/`: the same stream as Server-Sent Events (`GET /v1/stream`), a connection like the others;
 * - `replay/`: catching a subscription up from the stored log (resume_from) or the incidents table (snapshot).
 */
@Module({
  imports: [IncidentsModule],
  controllers: [EventStreamController],
  providers: [
    ReplayService,
    SnapshotReader,
    StreamGateway,
    ConnectionService,
    StreamAuthenticator,
    CredentialLifetimeService,
    FlushScheduler,
    SessionService,
    HeartbeatService,
    StreamShutdownService,
    SubscriptionService,
    SubscriptionIndex,
    FanoutService,
    StreamMetrics,
    ClientMessageGuard,
    StreamValidationPipe,
    StreamExceptionFilter,
  ],
})
export class StreamingModule {}
