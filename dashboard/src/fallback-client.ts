import type {
  EventMessage,
  Incident,
  IncidentNote,
  ServerMessage,
  SubscriptionFilterInput,
} from '@llm-incident-manager/protocol';
import type {
  ConnectionStatus,
  DashboardClient,
  LogEntry,
  SubscriptionHandle,
  SubscriptionHandlers,
} from './sdk';

/**
 * A minimal stand-in for `@llm-incident-manager/client` with the same interface, used until the SDK lands: one
 * WebSocket, subscriptions re-sent on reconnect with `resume_from` the last sequence seen, full-jitter backoff,
 * duplicate sequences dropped, REST helpers over fetch.
 */
export class FallbackClient implements DashboardClient {
  private socket: WebSocket | null = null;
  private readonly statusListeners = new Set<(status: ConnectionStatus, detail?: unknown) => void>();
  private readonly subscriptions = new Map<
    string,
    { filters: SubscriptionFilterInput; snapshot: boolean; handlers: SubscriptionHandlers }
  >();
  private lastSequence: number | null = null;
  private attempt = 0;
  private reconnecting = false;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 0;

  constructor(private readonly options: { url: string; token?: string }) {}

  onStatus(listener: (status: ConnectionStatus, detail?: unknown) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  subscribe(
    options: { id?: string; filters?: SubscriptionFilterInput; snapshot?: boolean },
    handlers: SubscriptionHandlers,
  ): SubscriptionHandle {
    const id = options.id ?? `sub-${++this.nextId}`;
    const entry = { filters: options.filters ?? {}, snapshot: options.snapshot ?? false, handlers };
    this.subscriptions.set(id, entry);
    if (this.socket?.readyState === WebSocket.OPEN) this.sendSubscribe(id, entry, false);
    return {
      unsubscribe: () => {
        if (this.subscriptions.get(id) !== entry) return;
        this.subscriptions.delete(id);
        if (this.socket?.readyState === WebSocket.OPEN) {
          this.socket.send(JSON.stringify({ type: 'unsubscribe', subscription_id: id }));
        }
      },
    };
  }

  connect(): void {
    this.closed = false;
    this.open();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.idleTimer);
    this.socket?.close(1000);
    this.emit('closed');
  }

  readonly incidents = {
    get: (id: string) => this.request<Incident>('GET', `/v1/incidents/${id}`),
    acknowledge: (id: string, body: { actor?: string } = {}) =>
      this.request<Incident>('POST', `/v1/incidents/${id}/acknowledge`, body),
    resolve: (id: string, body: object) =>
      this.request<Incident>('POST', `/v1/incidents/${id}/resolve`, body),
    close: (id: string, body: { actor?: string } = {}) =>
      this.request<Incident>('POST', `/v1/incidents/${id}/close`, body),
    comment: (id: string, body: object) =>
      this.request<IncidentNote>('POST', `/v1/incidents/${id}/comments`, body),
    events: (id: string) =>
      this.request<{ events: LogEntry[] }>('GET', `/v1/incidents/${id}/events?limit=1000`),
  };

  private async request<T>(method: string, path: string, body?: object): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.options.token !== undefined) headers.authorization = `Bearer ${this.options.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(path, this.options.url), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await response.json()) as unknown;
    if (!response.ok) {
      const error = (answer as { error?: { code?: string; message?: string } }).error ?? {};
      throw Object.assign(new Error(error.message ?? response.statusText), {
        status: response.status,
        code: error.code ?? '',
      });
    }
    return answer as T;
  }

  private emit(status: ConnectionStatus, detail?: unknown): void {
    for (const listener of this.statusListeners) listener(status, detail);
  }

  private open(): void {
    const url = new URL('/ws', this.options.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.options.token !== undefined) url.searchParams.set('access_token', this.options.token);
    this.emit(this.reconnecting ? 'reconnecting' : 'connecting');
    const socket = new WebSocket(url);
    this.socket = socket;
    let replaysPending = 0;
    socket.onmessage = (frame) => {
      this.armIdleTimer(socket);
      const message = JSON.parse(String(frame.data)) as ServerMessage;
      switch (message.type) {
        case 'welcome':
          this.attempt = 0;
          for (const [id, entry] of this.subscriptions) {
            const resume = this.reconnecting && this.lastSequence !== null;
            if (resume) replaysPending++;
            this.sendSubscribe(id, entry, resume);
          }
          if (replaysPending === 0) this.emit('live');
          break;
        case 'subscribed':
          if (message.resumed === false) {
            this.subscriptions.get(message.subscription_id)?.handlers.onResumeFailed?.(message);
          }
          break;
        case 'replay_complete':
          if (--replaysPending === 0) this.emit('resumed');
          break;
        case 'snapshot':
          this.lastSequence = Math.max(this.lastSequence ?? 0, message.position);
          this.subscriptions
            .get(message.subscription_id)
            ?.handlers.onSnapshot?.(message.incidents, message.position, message.truncated);
          break;
        case 'event':
          this.deliver(message);
          break;
        case 'error':
          for (const entry of this.subscriptions.values()) entry.handlers.onError?.(message);
          break;
        default:
          break;
      }
    };
    socket.onclose = (event) => {
      clearTimeout(this.idleTimer);
      if (this.socket !== socket || this.closed) return;
      if (event.code === 4001 || event.code === 4003) {
        this.closed = true;
        this.emit('closed', { code: event.code, reason: event.reason });
        return;
      }
      this.reconnecting = true;
      this.emit('reconnecting', { code: event.code });
      const delay = Math.random() * Math.min(5000, 250 * 2 ** this.attempt++);
      this.retryTimer = setTimeout(() => this.open(), delay);
    };
  }

  private deliver(message: EventMessage): void {
    if (this.lastSequence !== null && message.sequence <= this.lastSequence) return;
    this.lastSequence = message.sequence;
    for (const entry of this.subscriptions.values()) entry.handlers.onEvent?.(message);
  }

  private sendSubscribe(
    id: string,
    entry: { filters: SubscriptionFilterInput; snapshot: boolean },
    resume: boolean,
  ): void {
    const message: Record<string, unknown> = {
      type: 'subscribe',
      subscription_id: id,
      filters: entry.filters,
    };
    if (resume) message.resume_from = this.lastSequence;
    else if (entry.snapshot) message.snapshot = true;
    this.socket?.send(JSON.stringify(message));
  }

  /** No frame for 75 s (the server's heartbeat comes every 30 s): the connection is dead. */
  private armIdleTimer(socket: WebSocket): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => socket.close(4000, 'heartbeat timeout'), 75_000);
  }
}
