import { ErrorMessage, INVALID_MESSAGE_PREFIX, ServerMessageType, StreamErrorCode } from './stream-protocol';

/**
 * A client-visible protocol error: thrown by guards, pipes and handlers of the gateway and rendered by
 * StreamExceptionFilter as an `error` frame. The socket stays open.
 */
export class StreamError extends Error {
  constructor(
    readonly code: StreamErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StreamError';
  }

  /** INVALID_MESSAGE with the contract's `Failed to process message: ` prefix. */
  static invalidMessage(detail: string): StreamError {
    return new StreamError(StreamErrorCode.InvalidMessage, `${INVALID_MESSAGE_PREFIX}${detail}`);
  }

  toMessage(): ErrorMessage {
    return { type: ServerMessageType.Error, code: this.code, message: this.message };
  }
}
