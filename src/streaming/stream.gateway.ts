import { UseFilters, UseGuards, UsePipes } from '@nestjs/common';
import {
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import { ClientMessageGuard } from './connections/client-message.guard';
import { ConnectionService } from './connections/connection.service';
import { CredentialLifetimeService } from './connections/credential-lifetime.service';
import { CurrentConnection } from './connections/current-connection.decorator';
import {
  AckMessageDto,
  AuthMessageDto,
  PingMessageDto,
  SubscribeMessageDto,
  UnsubscribeMessageDto,
} from './protocol/client-messages.dto';
// Registers the messages' fast checks, which StreamValidationPipe tries before class-validator.
import './protocol/client-messages.fast-check';
import { normalizeRfc3339 } from '../common/rfc3339';
import type { StreamConnection } from './connections/stream-connection';
import { StreamError } from './protocol/stream-error';
import { StreamExceptionFilter } from './protocol/stream-exception.filter';
import {
  AuthOkMessage,
  ClientMessageType,
  PongMessage,
  RejectedFrame,
  ServerMessageType,
  StreamErrorCode,
  SubscribedMessage,
  UnsubscribedMessage,
} from './protocol/stream-protocol';
import type { StreamSocket } from './transport/stream-socket';
import { StreamValidationPipe } from './protocol/stream-validation.pipe';
import { SubscriptionService } from './routing/subscription.service';

/**
 * The `/ws` endpoint (its path, frame limit and compression come from the configuration, applied by
 * StreamWsAdapter). Thin: each handler validates (pipe), delegates and returns its reply; the adapter queues the
 * reply on the connection, so that it keeps its place among the events.
 */
@WebSocketGateway()
@UseGuards(ClientMessageGuard)
@UsePipes(StreamValidationPipe)
@UseFilters(StreamExceptionFilter)
export class StreamGateway implements OnGatewayConnection<StreamSocket>, OnGatewayDisconnect<StreamSocket> {
  constructor(
    private readonly connections: ConnectionService,
    private readonly subscriptions: SubscriptionService,
    private readonly credentials: CredentialLifetimeService,
  ) {}

  handleConnection(socket: StreamSocket, request: IncomingMessage): void {
    this.connections.accept(socket, request);
  }

  handleDisconnect(socket: StreamSocket): void {
    this.connections.release(socket);
  }

  @SubscribeMessage(ClientMessageType.Subscribe)
  subscribe(
    @CurrentConnection() connection: StreamConnection,
    @MessageBody() message: SubscribeMessageDto,
  ): SubscribedMessage | Promise<undefined> {
    return this.subscriptions.subscribe(connection, message);
  }

  @SubscribeMessage(ClientMessageType.Unsubscribe)
  unsubscribe(
    @CurrentConnection() connection: StreamConnection,
    @MessageBody() message: UnsubscribeMessageDto,
  ): UnsubscribedMessage {
    return this.subscriptions.unsubscribe(connection, message);
  }

  @SubscribeMessage(ClientMessageType.Ping)
  ping(@MessageBody() message: PingMessageDto): PongMessage {
    // The pipe has validated the timestamp, so it normalises.
    return { type: ServerMessageType.Pong, timestamp: normalizeRfc3339(message.timestamp) ?? '' };
  }

  /** A fresh token for the same subject: the connection lives on past the old one's expiry. */
  @SubscribeMessage(ClientMessageType.Auth)
  auth(
    @CurrentConnection() connection: StreamConnection,
    @MessageBody() message: AuthMessageDto,
  ): Promise<AuthOkMessage> {
    return this.credentials.refresh(connection, message.token);
  }

  /** Acknowledgements are accepted (they count as activity) and need no answer. */
  @SubscribeMessage(ClientMessageType.Ack)
  ack(@MessageBody() _message: AckMessageDto): void {}

  @SubscribeMessage(RejectedFrame.Invalid)
  invalidFrame(@MessageBody() reason: string): never {
    throw StreamError.invalidMessage(reason);
  }

  @SubscribeMessage(RejectedFrame.Binary)
  binaryFrame(): never {
    throw new StreamError(
      StreamErrorCode.Unsupported,
      'binary frames are not supported; send JSON text frames',
    );
  }
}
