import {
  ClientMessageType,
  ServerMessageType,
  StreamErrorCode,
  type ServerMessage,
} from '@llm-incident-manager/protocol';
import { ConnectionError, StreamClosedError } from './errors';
import { loadNodeWebSocket } from './node-websocket';
import { AlertsApi, EventsApi, IncidentsApi, RestTransport, type FetchFunction } from './rest';
import type { ConnectionStatus, StatusDetail, StatusListener } from './status';
import { StreamChannel, type ChannelSettings } from './stream-channel';
import {
  SubscriptionState,
  type StreamSubscription,
  type SubscribeOptions,
  type SubscriptionHandlers,
} from './subscription';
import { systemTimers, type Timers } from './timers';
import type { WebSocketConstructor } from './websocket';

export interface IncidentClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8080` (REST at `/v1/...`, the stream at `/ws`). */
  url: string;
  /** An API key or JWT: `Authorization: Bearer` on REST; on the WebSocket, see `tokenTransport`. */
  token?: string;
  /** The stream's URL when it is not `<url with ws: or wss:>/ws`. */
  wsUrl?: string;
  /**
   * The WebSocket implementation. Default: the `ws` package in Node (Node 20 has no global WebSocket), the page's
   * `WebSocket` in browsers.
   */
  WebSocket?: WebSocketConstructor;
  /**
   * How the stream carries the token: an `Authorization` header (only `ws` can send one) or the `access_token`
   * query parameter (browsers). Default: `header` with the `ws` package loaded by the client, `query` otherwise.
   */
  tokenTransport?: 'header' | 'query';
  reconnect?: {
    /** The ceiling of the first reconnect delay (ms, default 250); it doubles at each failed attempt. */
    initialDelayMs?: number;
    /** The largest ceiling (ms, default 10,000). Each delay is uniform between 0 and its ceiling (full jitter). */
    maxDelayMs?: number;
    /** A connection up this long resets the delays (ms, default 5,000). */
    stableAfterMs?: number;
  };
  /**
   * A connection that receives nothing for this long (ms, default 45,000) is closed and opened again. The client
   * pings every `pingIntervalMs` and the server sends a heartbeat every `WS_HEARTBEAT_INTERVAL`, so a live
   * connection is never silent that long.
   */
  heartbeatTimeoutMs?: number;
  /** How often the client sends `ping` (ms, default a third of `heartbeatTimeoutMs`). */
  pingIntervalMs?: number;
  /** The time a connection has to reach `welcome` (ms, default 10,000). */
  connectTimeoutMs?: number;
  /**
   * By default `connect()` fails (and the client closes) when the first connection cannot be made. With true, it
   * keeps trying (status `reconnecting`) until it connects; a dashboard opened while the server restarts wants this.
   */
  retryInitialConnection?: boolean;
  /** The fetch implementation for REST (default: the global fetch). */
  fetch?: FetchFunction;
  /** REST requests that take longer fail with a ConnectionError (ms, default 30,000). */
  requestTimeoutMs?: number;
  /** Tests: timers and a clock to drive by hand, and the source of jitter. */
  timers?: Timers;
  random?: () => number;
}

interface Channel {
  channel: StreamChannel;
  status: ConnectionStatus;
  subscription: SubscriptionState | null;
  /** `setToken` calls waiting for their `auth_ok`, in the order sent. */
  authWaiters: { resolve: () => void; reject: (error: Error) => void }[];
}

/** Worst first: the client reports the worst status among its connections. */
const STATUS_RANK: Record<ConnectionStatus, number> = {
  closed: 0,
  reconnecting: 1,
  connecting: 2,
  resumed: 3,
  live: 4,
};

let generatedIds = 0;

/**
 * The client of one LLM Incident Manager server: live subscriptions that reconnect and resume by themselves, and
 * REST helpers (`alerts`, `incidents`, `events`). Each subscription has a WebSocket of its own (see
 * SubscriptionState); `onStatus` reports the worst of them.
 */
export class IncidentClient {
  readonly alerts: AlertsApi;
  readonly incidents: IncidentsApi;
  readonly events: EventsApi;

  private token: string | undefined;
  private readonly settings: ChannelSettings;
  private readonly channels = new Set<Channel>();
  private readonly listeners = new Set<StatusListener>();
  private current: ConnectionStatus = 'closed';
  private started = false;
  private closed = false;

  constructor(private readonly options: IncidentClientOptions) {
    const base = options.url.replace(/\/+$/, '');
    this.token = options.token;
    const fetchFn: FetchFunction = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const rest = new RestTransport(base, () => this.token, fetchFn, options.requestTimeoutMs ?? 30_000);
    this.alerts = new AlertsApi(rest);
    this.incidents = new IncidentsApi(rest);
    this.events = new EventsApi(rest);

    const nodeWebSocket = options.WebSocket === undefined ? loadNodeWebSocket() : undefined;
    const WebSocketImpl =
      options.WebSocket ?? nodeWebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (WebSocketImpl === undefined) {
      throw new Error('no WebSocket implementation: pass the WebSocket option (e.g. the ws package)');
    }
    const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 45_000;
    this.settings = {
      url: options.wsUrl ?? `${base.replace(/^http/, 'ws')}/ws`,
      token: () => this.token,
      tokenInQuery:
        (options.tokenTransport ?? (nodeWebSocket !== undefined ? 'header' : 'query')) === 'query',
      WebSocket: WebSocketImpl,
      initialDelayMs: options.reconnect?.initialDelayMs ?? 250,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
      stableAfterMs: options.reconnect?.stableAfterMs ?? 5_000,
      random: options.random ?? Math.random,
      heartbeatTimeoutMs,
      pingIntervalMs: options.pingIntervalMs ?? Math.max(1, Math.floor(heartbeatTimeoutMs / 3)),
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      timers: options.timers ?? systemTimers,
    };
  }

  /** The worst status among the client's connections (`closed` before `connect()`). */
  get status(): ConnectionStatus {
    return this.current;
  }

  /** Calls `listener` at every status change (and at every reconnect attempt); returns the unsubscribe function. */
  onStatus(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Opens the connections of the subscriptions made so far (one bare connection if there is none yet, which the
   * first subscription then takes over) and resolves once every one of them is live. Rejects with a
   * ConnectionError when the server cannot be reached (unless `retryInitialConnection`), or a StreamClosedError when
   * it refuses the credential (4001/4003); the client is closed then. Resolves at once when `close()` is called
   * meanwhile.
   */
  async connect(): Promise<void> {
    if (this.closed) throw new ConnectionError('the client was closed');
    if (this.channels.size === 0) this.addChannel(null);
    this.started = true;
    const pending = [...this.channels];
    for (const entry of pending) entry.channel.start();
    try {
      await Promise.all(pending.map((entry) => entry.channel.opened));
    } catch (error) {
      // close() called meanwhile is no failure of connect().
      if (this.closed) return;
      await this.close();
      throw error;
    }
  }

  /**
   * Subscribes, on a connection of its own (opened now if the client is connected, else by `connect()`). At every
   * reconnection the subscription is sent again with `resume_from` = the last sequence it saw, so that no event is
   * missed; an event already delivered is dropped, so that none is delivered twice.
   */
  subscribe(options: SubscribeOptions = {}, handlers: SubscriptionHandlers = {}): StreamSubscription {
    if (this.closed) throw new ConnectionError('the client was closed');
    if (options.snapshot === true && options.resumeFrom !== undefined) {
      throw new Error('a subscription takes either snapshot or resumeFrom, not both');
    }
    const id = options.id ?? `sub-${++generatedIds}-${Math.random().toString(36).slice(2, 10)}`;
    const bare = [...this.channels].find((entry) => entry.subscription === null);
    const entry = bare ?? this.addChannel(null);
    const state = new SubscriptionState(id, options, handlers, (message) => entry.channel.send(message));
    entry.subscription = state;
    if (entry.channel.isOpen) entry.channel.send(state.subscribeMessage());
    else if (this.started) entry.channel.start();
    return {
      id,
      get lastSequence() {
        return state.lastSequence;
      },
      get duplicatesDropped() {
        return state.duplicatesDropped;
      },
      unsubscribe: async () => {
        if (!this.channels.delete(entry)) return;
        entry.channel.send({ type: ClientMessageType.Unsubscribe, subscription_id: id });
        await entry.channel.stop();
        this.report();
      },
    };
  }

  /**
   * A new token, for REST and for every later connection; open connections send it in an `auth` message (before
   * the current token expires, so the server keeps them open). Resolves when every open connection accepted it.
   */
  async setToken(token: string): Promise<void> {
    this.token = token;
    const open = [...this.channels].filter((entry) => entry.channel.isOpen);
    await Promise.all(open.map((entry) => this.authenticate(entry, token)));
  }

  /** Closes every connection (code 1000); the client cannot be used for streams afterwards. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const entries = [...this.channels];
    this.channels.clear();
    await Promise.all(entries.map((entry) => entry.channel.stop()));
    if (this.current !== 'closed') this.emit('closed');
  }

  private addChannel(subscription: SubscriptionState | null): Channel {
    const entry: Channel = {
      channel: undefined as unknown as StreamChannel,
      status: 'connecting',
      subscription,
      authWaiters: [],
    };
    entry.channel = new StreamChannel(
      this.settings,
      {
        opened: () => {
          if (entry.subscription !== null) entry.channel.send(entry.subscription.subscribeMessage());
        },
        message: (message) => this.dispatch(entry, message),
        status: (status, detail) => {
          entry.status = status;
          // A new connection starts with the newest token; a closed one will not answer.
          const waiters = entry.authWaiters.splice(0);
          if (status === 'reconnecting') waiters.forEach((waiter) => waiter.resolve());
          if (status === 'closed') {
            const error = detail?.error ?? new ConnectionError('the connection was closed');
            waiters.forEach((waiter) => waiter.reject(error));
          }
          this.report(detail, status === 'reconnecting');
        },
      },
      // Only the connections opened by connect() may fail fast: later ones are a reconnection in all but name.
      this.options.retryInitialConnection !== true && !this.started,
    );
    this.channels.add(entry);
    return entry;
  }

  private dispatch(entry: Channel, message: ServerMessage): void {
    if (message.type === ServerMessageType.AuthOk) {
      entry.authWaiters.shift()?.resolve();
      return;
    }
    if (
      message.type === ServerMessageType.Error &&
      entry.authWaiters.length > 0 &&
      (message.code === StreamErrorCode.Authentication || message.code === StreamErrorCode.Authorization)
    ) {
      entry.authWaiters.shift()?.reject(new StreamClosedError(4001, message.message));
      return;
    }
    entry.subscription?.handle(message);
  }

  private authenticate(entry: Channel, token: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (!entry.channel.send({ type: ClientMessageType.Auth, token })) {
        resolve(); // not open: the next connection sends the new token itself
        return;
      }
      entry.authWaiters.push({ resolve, reject });
    });
  }

  /** Emits the worst status of the connections if it changed (or, for `reconnecting`, at every attempt). */
  private report(detail?: StatusDetail, always = false): void {
    if (this.closed) return;
    let worst: ConnectionStatus | undefined;
    for (const entry of this.channels) {
      if (worst === undefined || STATUS_RANK[entry.status] < STATUS_RANK[worst]) worst = entry.status;
    }
    if (worst === undefined) return;
    if (worst !== this.current || (always && worst === 'reconnecting')) this.emit(worst, detail);
  }

  private emit(status: ConnectionStatus, detail?: StatusDetail): void {
    this.current = status;
    for (const listener of [...this.listeners]) listener(status, detail);
  }
}
