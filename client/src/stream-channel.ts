import {
  ClientMessageType,
  CloseCode,
  ServerMessageType,
  type ClientMessage,
  type ServerMessage,
} from '@llm-incident-manager/protocol';
import { Backoff } from './backoff';
import { ConnectionError, StreamClosedError } from './errors';
import type { ConnectionStatus, StatusDetail } from './status';
import type { Timers } from './timers';
import { WEBSOCKET_OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket';

export interface ChannelSettings {
  /** The `/ws` URL, without credential. */
  url: string;
  token: () => string | undefined;
  /** Send the token as the `access_token` query parameter (browsers) rather than an Authorization header. */
  tokenInQuery: boolean;
  WebSocket: WebSocketConstructor;
  initialDelayMs: number;
  maxDelayMs: number;
  random: () => number;
  /** A connection that sends nothing for this long is dead: closed and opened again. */
  heartbeatTimeoutMs: number;
  /** How often the client sends its own `ping` (its `pong` proves the connection alive). */
  pingIntervalMs: number;
  /** A connection whose `welcome` has not arrived after this long has failed. */
  connectTimeoutMs: number;
  /** A connection that stayed up this long resets the backoff to its first step. */
  stableAfterMs: number;
  timers: Timers;
}

export interface ChannelListener {
  /** The `welcome` arrived: the connection is usable (again). */
  opened(reconnected: boolean): void;
  /** Every other server message. */
  message(message: ServerMessage): void;
  status(status: ConnectionStatus, detail?: StatusDetail): void;
}

/** Close codes after which coming back cannot help: the credential is refused. */
const TERMINAL_CODES: ReadonlySet<number> = new Set([CloseCode.Unauthorized, CloseCode.Forbidden]);

/** What a socket that failed without a close frame reports (the code browsers and `ws` use). */
const ABNORMAL_CLOSURE = 1006;

/**
 * One WebSocket to `/ws` that comes back by itself: it reconnects with exponential backoff and full jitter after
 * any loss (except 4001/4003), and treats a connection that stays silent past the heartbeat timeout as lost. It
 * knows nothing of subscriptions: its listener re-subscribes on every `opened`.
 */
export class StreamChannel {
  private socket: WebSocketLike | null = null;
  private readonly backoff: Backoff;
  private everOpened = false;
  private started = false;
  private stopped = false;
  private lastFrameAt = 0;
  private welcomed = false;
  private closingReason: string | undefined;
  private connectTimer: unknown = null;
  private heartbeatTimer: unknown = null;
  private stableTimer: unknown = null;
  private retryTimer: unknown = null;
  private readonly settledOpen: Promise<void>;
  private resolveOpen!: () => void;
  private rejectOpen!: (error: Error) => void;

  constructor(
    private readonly settings: ChannelSettings,
    private readonly listener: ChannelListener,
    /** When true, a first connection that fails ends the channel (closed) instead of retrying. */
    private failFast: boolean,
  ) {
    this.backoff = new Backoff(settings);
    this.settledOpen = new Promise<void>((resolve, reject) => {
      this.resolveOpen = resolve;
      this.rejectOpen = reject;
    });
    // Nobody may be waiting for it: a rejection must not be reported as unhandled.
    this.settledOpen.catch(() => undefined);
  }

  /** Resolves at the first `welcome`; rejects if the channel ends before. */
  get opened(): Promise<void> {
    return this.settledOpen;
  }

  get isStarted(): boolean {
    return this.started;
  }

  get isOpen(): boolean {
    return this.welcomed && this.socket?.readyState === WEBSOCKET_OPEN;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.listener.status('connecting');
    this.open();
  }

  /** After the first connection, failures are retried whatever was asked at the start. */
  retryFromNowOn(): void {
    this.failFast = false;
  }

  /** Sends a message if the connection is open; false otherwise (it is sent again on the next `opened`). */
  send(message: ClientMessage): boolean {
    if (!this.isOpen || this.socket === null) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  /** Closes for good (code 1000) and waits, briefly, for the close to complete. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clearTimers();
    this.timers.clearTimeout(this.retryTimer);
    const socket = this.socket;
    this.socket = null;
    this.rejectOpen(new ConnectionError('the client was closed'));
    if (socket !== null) {
      await new Promise<void>((resolve) => {
        const done = this.timers.setTimeout(() => {
          socket.terminate?.();
          resolve();
        }, 1000);
        socket.onclose = () => {
          this.timers.clearTimeout(done);
          resolve();
        };
        socket.onmessage = null;
        socket.onerror = () => undefined;
        try {
          socket.close(1000, 'client closed');
        } catch {
          resolve();
        }
      });
    }
    this.listener.status('closed');
  }

  private get timers(): Timers {
    return this.settings.timers;
  }

  private open(): void {
    this.welcomed = false;
    this.closingReason = undefined;
    const token = this.settings.token();
    let url = this.settings.url;
    let options: { headers: Record<string, string> } | undefined;
    if (token !== undefined && this.settings.tokenInQuery) {
      url += `${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
    } else if (token !== undefined) {
      options = { headers: { authorization: `Bearer ${token}` } };
    }
    let socket: WebSocketLike;
    try {
      socket =
        options === undefined
          ? new this.settings.WebSocket(url)
          : new this.settings.WebSocket(url, undefined, options);
    } catch (error) {
      this.lost(ABNORMAL_CLOSURE, error instanceof Error ? error.message : String(error));
      return;
    }
    this.socket = socket;
    this.lastFrameAt = this.timers.now();
    socket.onmessage = (event) => this.received(socket, event.data);
    socket.onclose = (event) => {
      if (this.socket === socket) this.lost(event.code, event.reason);
    };
    // An error is followed by a close, which decides what happens next.
    socket.onerror = () => undefined;
    this.connectTimer = this.timers.setTimeout(() => {
      if (this.socket === socket && !this.welcomed) this.kill(socket, 'connect timeout');
    }, this.settings.connectTimeoutMs);
  }

  private received(socket: WebSocketLike, data: unknown): void {
    if (this.socket !== socket) return;
    this.lastFrameAt = this.timers.now();
    if (typeof data !== 'string') return;
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    if (message.type === ServerMessageType.Welcome) {
      this.welcome();
      return;
    }
    if (message.type === ServerMessageType.Closing) this.closingReason = message.reason;
    this.listener.message(message);
  }

  private welcome(): void {
    this.timers.clearTimeout(this.connectTimer);
    this.welcomed = true;
    const reconnected = this.everOpened;
    this.everOpened = true;
    this.failFast = false;
    this.scheduleHeartbeat();
    this.stableTimer = this.timers.setTimeout(() => this.backoff.reset(), this.settings.stableAfterMs);
    this.listener.status(reconnected ? 'resumed' : 'live');
    this.listener.opened(reconnected);
    this.resolveOpen();
  }

  /** Every ping interval: a connection silent past the timeout is dead; otherwise ask it for a `pong`. */
  private scheduleHeartbeat(): void {
    this.heartbeatTimer = this.timers.setTimeout(
      () => {
        const socket = this.socket;
        if (socket === null) return;
        if (this.timers.now() - this.lastFrameAt >= this.settings.heartbeatTimeoutMs) {
          this.kill(socket, 'heartbeat timeout');
          return;
        }
        this.send({ type: ClientMessageType.Ping, timestamp: new Date().toISOString() });
        this.scheduleHeartbeat();
      },
      Math.min(this.settings.pingIntervalMs, this.settings.heartbeatTimeoutMs),
    );
  }

  /** Gives up on a socket that does not answer: its close handshake would never complete either. */
  private kill(socket: WebSocketLike, reason: string): void {
    socket.onclose = null;
    socket.onmessage = null;
    socket.onerror = () => undefined;
    try {
      if (socket.terminate !== undefined) socket.terminate();
      else socket.close(4000, reason);
    } catch {
      // Already closed: nothing to release.
    }
    this.lost(ABNORMAL_CLOSURE, reason);
  }

  private clearTimers(): void {
    this.timers.clearTimeout(this.connectTimer);
    this.timers.clearTimeout(this.heartbeatTimer);
    this.timers.clearTimeout(this.stableTimer);
  }

  private lost(code: number, closeReason: string): void {
    this.clearTimers();
    this.socket = null;
    this.welcomed = false;
    if (this.stopped) return;
    const reason = this.closingReason ?? (closeReason === '' ? undefined : closeReason);
    if (TERMINAL_CODES.has(code)) {
      this.end(new StreamClosedError(code, reason ?? ''), { code, reason });
      return;
    }
    if (this.failFast) {
      const error = new ConnectionError(
        `cannot connect to ${this.settings.url}${reason === undefined ? '' : `: ${reason}`} (close ${code})`,
      );
      this.end(error, { code, reason });
      return;
    }
    const delayMs = this.backoff.next();
    this.listener.status('reconnecting', { code, reason, attempt: this.backoff.attempt, delayMs });
    this.retryTimer = this.timers.setTimeout(() => this.open(), delayMs);
  }

  private end(error: Error, detail: StatusDetail): void {
    this.stopped = true;
    this.rejectOpen(error);
    this.listener.status('closed', { ...detail, error });
  }
}
