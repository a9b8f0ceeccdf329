import { INestApplicationContext, Logger } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import { Observable, isObservable } from 'rxjs';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { RawData, WebSocketServer } from 'ws';
import type { StreamingConfig } from '../../config/app-config';
import type { ControlMessage } from '../protocol/stream-protocol';
import { parseClientFrame } from '../protocol/client-frame.parser';
import { ConnectionErrorReason, StreamMetrics } from '../stream-metrics';
import { StreamAuthenticator } from '../connections/stream-authenticator';
import { StreamSocket } from './stream-socket';
import { UpgradeOriginPolicy } from './upgrade-origin';

/** How long `ws` waits for the peer's close frame before it destroys the socket. */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 5000;

/**
 * The WebSocket transport, on the HTTP server's port:
 * - the `ws` server options come from the configuration (path, maximum frame size -> 1009, permessage-deflate
 *   only when enabled, our StreamSocket class);
 * - an upgrade from a browser page of an origin that is not allowed is refused with HTTP 403 before the handshake
 *   (`verifyUpgrade`), which also authenticates the credential (answered after the handshake: 4001/4003);
 * - every frame is mapped to a handler by `parseClientFrame` (the stock adapter silently drops frames that are not
 *   `{event, data}` and anything whose handler is unknown);
 * - one client's frames are handled one after another, in arrival order (the stock adapter runs them
 *   concurrently, so a reply could overtake the reply to an earlier frame), without a per-client RxJS pipeline;
 * - what a handler returns is its reply, queued on the client's connection (the stock adapter would send it as
 *   `{event, data}`, which is not our protocol).
 */
export class StreamWsAdapter extends WsAdapter {
  private readonly streamLogger = new Logger('Streaming');
  private readonly originPolicy: UpgradeOriginPolicy;
  private metrics?: StreamMetrics;
  private authenticator?: StreamAuthenticator;
  /** Message patterns of the gateway's handlers -> their place in each client's handler array (callbacksOf). */
  private readonly patterns = new Map<string, number>();

  constructor(
    private readonly appContext: INestApplicationContext,
    private readonly config: StreamingConfig,
  ) {
    super(appContext);
    this.originPolicy = new UpgradeOriginPolicy(config.allowedOrigins);
  }

  override create(port: number, options: Record<string, unknown> = {}): WebSocketServer {
    // The gateway's server is created once the modules are up.
    this.metrics = this.appContext.get(StreamMetrics, { strict: false });
    this.authenticator = this.appContext.get(StreamAuthenticator, { strict: false });
    const server = super.create(port, {
      ...options,
      path: this.config.path,
      maxPayload: this.config.maxMessageBytes,
      perMessageDeflate: this.config.enableCompression,
      WebSocket: StreamSocket,
      closeTimeout: CLOSE_HANDSHAKE_TIMEOUT_MS,
      verifyClient: (info: { req: IncomingMessage }, done: VerifyDone) => this.verifyUpgrade(info.req, done),
    }) as WebSocketServer;
    // `headers` comes just before `ws` writes the 101 answer; the connection is then registered in the same callback
    // and writes its `welcome` at once (ConnectionService.register). Corked until that callback has returned
    // (process.nextTick), both leave in one write instead of two: a syscall costs ~30-50 us here, about a tenth of
    // what a connection costs in all.
    server.on('headers', (_headers: string[], request: IncomingMessage) => {
      request.socket.cork();
      process.nextTick(uncork, request.socket);
    });
    return server;
  }

  /** Runs before the handshake: a refusal here is a plain HTTP answer, and no connection is ever registered. */
  private verifyUpgrade(request: IncomingMessage, done: VerifyDone): void {
    if (!this.originPolicy.allows(request)) {
      this.metrics?.connectionError(ConnectionErrorReason.OriginNotAllowed);
      this.streamLogger.warn(
        `WebSocket upgrade refused (403): origin ${JSON.stringify(request.headers.origin?.slice(0, 200))} not allowed`,
      );
      return done(false, 403, 'Forbidden');
    }
    if (this.authenticator === undefined) return done(true);
    // The credential is checked now (JWTs verify asynchronously) and answered once the socket is open (4001/4003).
    this.authenticator.authenticate(request).then(
      () => done(true),
      (error: unknown) => {
        this.streamLogger.error(`WebSocket upgrade authentication failed: ${String(error)}`);
        done(false, 500, 'Internal Server Error');
      },
    );
  }

  override bindMessageHandlers(
    client: StreamSocket,
    handlers: MessageMappingProperties[],
    _transform: (data: unknown) => Observable<unknown>,
  ): void {
    const callbacks = this.callbacksOf(handlers);
    let previous: Promise<void> = SETTLED;
    client.on('message', (data: RawData, isBinary: boolean) => {
      const frame = parseClientFrame(data, isBinary);
      const callback = callbacks[this.patterns.get(frame.event) ?? -1];
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

  /**
   * A client's handlers (bound to it by Nest) by their place in `patterns`, which every client shares: a client
   * keeps an array of them rather than a map of its own.
   */
  private callbacksOf(handlers: MessageMappingProperties[]): MessageMappingProperties['callback'][] {
    const callbacks = new Array<MessageMappingProperties['callback']>(handlers.length);
    for (const handler of handlers) {
      const pattern = String(handler.message);
      let index = this.patterns.get(pattern);
      if (index === undefined) {
        index = this.patterns.size;
        this.patterns.set(pattern, index);
      }
      callbacks[index] = handler.callback;
    }
    return callbacks;
  }

  /** Per-client errors are counted by the connection registry; the stock adapter logs every one as an error. */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('error', (error: Error) => this.streamLogger.error(`WebSocket server error: ${error.message}`));
    return server;
  }
}

function uncork(socket: Socket): void {
  socket.uncork();
}

/** Where a client's chain of message handling starts: nothing before its first frame. */
const SETTLED: Promise<void> = Promise.resolve();

/** The `ws` verifyClient callback: accept, or refuse with an HTTP status. */
type VerifyDone = (accept: boolean, status?: number, message?: string) => void;

/** A handler's reply: its return value, awaited; an observable's last value. */
async function settle(result: unknown): Promise<unknown> {
  const value: unknown = await result;
  if (!isObservable(value)) return value;
  return new Promise<unknown>((resolve, reject) => {
    let last: unknown;
    value.subscribe({ next: (v) => (last = v), complete: () => resolve(last), error: reject });
  });
}
