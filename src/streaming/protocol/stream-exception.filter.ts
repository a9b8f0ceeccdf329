import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { StreamError } from './stream-error';
import type { StreamSocket } from '../transport/stream-socket';
import { ServerMessageType, StreamErrorCode } from './stream-protocol';

/**
 * Renders every error raised while handling a client frame as an `error` frame on that socket (which stays open).
 * Our own errors keep their code; anything unexpected is logged and reported as INVALID_MESSAGE.
 */
@Catch()
export class StreamExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Streaming');

  catch(exception: unknown, host: ArgumentsHost): void {
    const connection = host.switchToWs().getClient<StreamSocket>().connection;
    if (connection === undefined || !connection.isOpen) return;
    if (exception instanceof StreamError) {
      connection.reply(exception.toMessage());
      return;
    }
    if (!(exception instanceof WsException)) {
      this.logger.error(
        `unexpected error handling a client message: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`,
      );
    }
    connection.reply({
      type: ServerMessageType.Error,
      code: StreamErrorCode.InvalidMessage,
      message: StreamError.invalidMessage(exception instanceof Error ? exception.message : 'internal error')
        .message,
    });
  }
}
