import { INestApplicationContext, Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { Observable, isObservable } from 'rxjs';
import type { RawData, WebSocketServer } from 'ws';
import type { StreamingConfig } from '../../config/app-config';
import type { ControlMessage } from '../protocol/stream-protocol';
import { parseClientFrame } from '../protocol/client-frame.parser';
import { StreamSocket } from './stream-socket';

/** How long `ws` waits for the peer's close frame before it destroys the socket. */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 5000;

/**
 * The WebSocket transport, on the HTTP server's port:
 * - the `ws` server options come from the configuration (path, maximum frame size -> 1009, permessage-deflate
 *   only when enabled, our StreamSocket class);
 * - every frame is mapped to a handler by `parseClientFrame` (the stock adapter silently drops frames that are not
 *   `{event, data}` and anything whose handler is unknown);
 * - one client's frames are handled one after another, in arrival order (the stock adapter runs them
 *   concurrently, so a reply could overtake the reply to an earlier frame), without a per-client RxJS pipeline;
 * - what a handler returns is its reply, queued on the client's connection (the stock adapter would send it as
 *   `{event, data}`, which is not our protocol).
 */
export class StreamWsAdapter extends WsAdapter {
  private readonly streamLogger = new Logger('Streaming');

  constructor(
    app: INestApplicationContext,
    private readonly config: StreamingConfig,
  ) {
    super(app);
  }

  override create(port: number, options: Record<string, unknown> = {}): WebSocketServer {
    return super.create(port, {
      ...options,
      path: this.config.path,
      maxPayload: this.config.maxMessageBytes,
      perMessageDeflate: this.config.enableCompression,
      WebSocket: StreamSocket,
      closeTimeout: CLOSE_HANDSHAKE_TIMEOUT_MS,
    }) as WebSocketServer;
  }

  override bindMessageHandlers(
    client: StreamSocket,
    handlers: MessageMappingProperties[],
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    const byPattern = new Map<string, MessageMappingProperties['callback']>();
    for (const handler of handlers) byPattern.set(String(handler.message), handler.callback);
    let previous: Promise<void> = Promise.resolve();
    client.on('message', (data: RawData, isBinary: boolean) => {
      const frame = parseClientFrame(data, isBinary);
      const callback = byPattern.get(frame.event);
      if (callback === undefined) {
        this.streamLogger.error(`no gateway handler for ${frame.event}`);
        return;
      }
      // Errors are answered by the gateway's exception filter, so a rejection here is a bug: log it and keep
      // serving the client.
      previous = previous
        .then(() => settle(callback(frame.data, frame.event)))
        .then((reply) => {
          if (reply !== undefined) client.connection?.reply(reply as ControlMessage);
        })
        .catch((error: unknown) =>
          this.streamLogger.error(`client message handling failed: ${String(error)}`),
        );
    });
  }

  /** Per-client errors are counted by the connection registry; the stock adapter logs every one as an error. */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('error', (error: Error) => this.streamLogger.error(`WebSocket server error: ${error.message}`));
    return server;
  }
}

/** A handler's reply: its return value, awaited; an observable's last value. */
async function settle(result: unknown): Promise<unknown> {
  const value: unknown = await result;
  if (!isObservable(value)) return value;
  return new Promise<unknown>((resolve, reject) => {
    let last: unknown;
    value.subscribe({ next: (v) => (last = v), complete: () => resolve(last), error: reject });
  });
}
