import type { EventMessage } from '@llm-incident-manager/protocol';
import { ConnectionError, StreamClosedError } from './errors';
import { IncidentClient, type IncidentClientOptions } from './incident-client';
import type { ConnectionStatus, StatusDetail } from './status';
import type { Timers } from './timers';
import type { NodeWebSocketOptions, WebSocketLike } from './websocket';

/** Timers that run only when the test moves the clock. */
class ManualTimers implements Timers {
  private time = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  now(): number {
    return this.time;
  }

  /** Moves the clock by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = [...this.pending.entries()]
        .filter(([, timer]) => timer.at <= end)
        .sort(([a, x], [b, y]) => x.at - y.at || a - b)[0];
      if (due === undefined) break;
      this.pending.delete(due[0]);
      this.time = due[1].at;
      due[1].callback();
    }
    this.time = end;
  }
}

/** A WebSocket the test plays the server of. */
class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = [];
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: Record<string, unknown>[] = [];
  terminated = false;

  constructor(
    readonly url: string,
    _protocols?: string | string[],
    readonly options?: NodeWebSocketOptions,
  ) {
    FakeSocket.instances.push(this);
  }

  static get last(): FakeSocket {
    return FakeSocket.instances[FakeSocket.instances.length - 1];
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code = 1000, reason = ''): void {
    this.serverClose(code, reason);
  }

  terminate(): void {
    this.terminated = true;
    this.serverClose(1006, '');
  }

  /** The server accepts and greets. */
  welcome(): void {
    this.readyState = 1;
    this.onopen?.({});
    this.frame({ type: 'welcome', session_id: 's', server_time: '2026-01-01T00:00:00Z' });
  }

  frame(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  event(sequence: number): void {
    this.frame({
      type: 'event',
      message_id: `m${sequence}`,
      sequence,
      timestamp: '2026-01-01T00:00:00Z',
      event: { event_type: 'system_event', category: 'test', message: String(sequence), metadata: {} },
    });
  }

  serverClose(code: number, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  subscribes(): Record<string, unknown>[] {
    return this.sent.filter((message) => message.type === 'subscribe');
  }
}

describe('IncidentClient (stream)', () => {
  let timers: ManualTimers;
  let statuses: [ConnectionStatus, StatusDetail | undefined][];
  let client: IncidentClient;

  const makeClient = (options: Partial<IncidentClientOptions> = {}): IncidentClient => {
    const made = new IncidentClient({
      url: 'http://127.0.0.1:9',
      WebSocket: FakeSocket,
      timers,
      random: () => 0.5,
      heartbeatTimeoutMs: 1000,
      pingIntervalMs: 250,
      ...options,
    });
    made.onStatus((status, detail) => statuses.push([status, detail]));
    return made;
  };

  beforeEach(() => {
    FakeSocket.instances = [];
    timers = new ManualTimers();
    statuses = [];
  });

  afterEach(async () => {
    await client?.close();
  });

  it('re-subscribes with resume_from the last sequence after a loss and delivers each event once, in order', async () => {
    client = makeClient();
    const delivered: number[] = [];
    const sub = client.subscribe(
      { id: 'feed', filters: { severities: ['P0'] } },
      { onEvent: (message: EventMessage) => delivered.push(message.sequence) },
    );
    const connected = client.connect();
    FakeSocket.last.welcome();
    await connected;
    expect(FakeSocket.last.subscribes()).toEqual([
      { type: 'subscribe', subscription_id: 'feed', filters: { severities: ['P0'] } },
    ]);
    const first = FakeSocket.last;
    first.frame({ type: 'subscribed', subscription_id: 'feed', filters: {}, position: 5 });
    first.event(6);
    first.event(7);
    first.serverClose(1001, 'server shutdown');

    expect(statuses.map(([status]) => status)).toEqual(['connecting', 'live', 'reconnecting']);
    expect(statuses[2][1]).toMatchObject({ code: 1001, attempt: 1, delayMs: 125 });
    timers.advance(125);
    const second = FakeSocket.last;
    expect(second).not.toBe(first);
    second.welcome();
    expect(statuses.map(([status]) => status).slice(-1)).toEqual(['resumed']);
    expect(second.subscribes()).toEqual([
      { type: 'subscribe', subscription_id: 'feed', filters: { severities: ['P0'] }, resume_from: 7 },
    ]);
    second.frame({ type: 'subscribed', subscription_id: 'feed', filters: {}, position: 9, resumed: true });
    second.event(7);
    second.event(8);
    second.event(9);
    second.frame({ type: 'replay_complete', subscription_id: 'feed', replayed: 3, position: 9 });
    second.event(9);
    second.event(10);

    expect(delivered).toEqual([6, 7, 8, 9, 10]);
    expect(sub.lastSequence).toBe(10);
    expect(sub.duplicatesDropped).toBe(2);
  });

  it('resumes a subscription that saw no event from the position it went live at', async () => {
    client = makeClient();
    client.subscribe({ id: 'quiet' });
    const connected = client.connect();
    FakeSocket.last.welcome();
    await connected;
    FakeSocket.last.frame({ type: 'subscribed', subscription_id: 'quiet', filters: {}, position: 42 });
    FakeSocket.last.serverClose(1006);
    timers.advance(1000);
    FakeSocket.last.welcome();
    expect(FakeSocket.last.subscribes()[0]).toMatchObject({ resume_from: 42 });
  });

  it('grows the delay of failed attempts exponentially and resets it after a stable connection', async () => {
    client = makeClient({
      random: () => 0.999,
      reconnect: { initialDelayMs: 100, maxDelayMs: 1000, stableAfterMs: 5000 },
      heartbeatTimeoutMs: 60_000,
    });
    const connected = client.connect();
    FakeSocket.last.welcome();
    await connected;
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      FakeSocket.last.serverClose(1006);
      delays.push(statuses[statuses.length - 1][1]!.delayMs!);
      timers.advance(delays[i]);
    }
    expect(delays).toEqual([99, 199, 399, 799, 999, 999]);
    FakeSocket.last.welcome();
    timers.advance(5000);
    FakeSocket.last.serverClose(1006);
    expect(statuses[statuses.length - 1][1]).toMatchObject({ attempt: 1, delayMs: 99 });
  });

  it('does not come back after 4001 or 4003: status closed with the reason', async () => {
    client = makeClient();
    const connected = client.connect();
    FakeSocket.last.welcome();
    await connected;
    FakeSocket.last.frame({ type: 'closing', reason: 'token expired' });
    FakeSocket.last.serverClose(4001, '');
    timers.advance(60_000);
    expect(FakeSocket.instances).toHaveLength(1);
    const [status, detail] = statuses[statuses.length - 1];
    expect(status).toBe('closed');
    expect(detail).toMatchObject({ code: 4001, reason: 'token expired' });
    expect(detail?.error).toBeInstanceOf(StreamClosedError);
  });

  it('rejects connect() when the credential is refused at the first connection', async () => {
    client = makeClient();
    const connected = client.connect();
    FakeSocket.last.readyState = 1;
    FakeSocket.last.frame({ type: 'closing', reason: 'unauthorized' });
    FakeSocket.last.serverClose(4001);
    const error = (await connected.catch((e: unknown) => e)) as StreamClosedError;
    expect(error).toBeInstanceOf(StreamClosedError);
    expect(error.isAuthError).toBe(true);
    expect(client.status).toBe('closed');
  });

  it('rejects connect() when the first connection fails, unless told to keep trying', async () => {
    client = makeClient();
    const failed = client.connect();
    FakeSocket.last.serverClose(1006);
    await expect(failed).rejects.toBeInstanceOf(ConnectionError);
    expect(statuses.map(([status]) => status)).toEqual(['connecting', 'closed']);

    statuses = [];
    client = makeClient({ retryInitialConnection: true });
    const retried = client.connect();
    FakeSocket.last.serverClose(1006);
    timers.advance(10_000);
    FakeSocket.last.welcome();
    await retried;
    // Live, not resumed: there was nothing to resume.
    expect(statuses.map(([status]) => status)).toEqual(['connecting', 'reconnecting', 'live']);
  });

  it('treats a connection silent past the heartbeat timeout as lost, after pinging it', async () => {
    client = makeClient();
    const connected = client.connect();
    const socket = FakeSocket.last;
    socket.welcome();
    await connected;
    timers.advance(250);
    expect(socket.sent.filter((message) => message.type === 'ping')).toHaveLength(1);
    socket.frame({ type: 'pong', timestamp: '2026-01-01T00:00:00Z' });
    timers.advance(999);
    expect(socket.terminated).toBe(false);
    timers.advance(500);
    expect(socket.terminated).toBe(true);
    expect(statuses[statuses.length - 1]).toEqual([
      'reconnecting',
      expect.objectContaining({ reason: 'heartbeat timeout' }),
    ]);
  });

  it('gives up on a connection that never reaches welcome', () => {
    client = makeClient({ connectTimeoutMs: 2000, retryInitialConnection: true });
    void client.connect();
    const socket = FakeSocket.last;
    timers.advance(2000);
    expect(socket.terminated).toBe(true);
    expect(statuses[statuses.length - 1][0]).toBe('reconnecting');
  });

  it('asks for the snapshot again only when resume fails', async () => {
    client = makeClient();
    const snapshots: number[] = [];
    const failures: (number | null)[] = [];
    client.subscribe(
      { id: 'board', snapshot: true },
      {
        onSnapshot: (_incidents, position) => snapshots.push(position),
        onResumeFailed: ({ oldest_sequence }) => failures.push(oldest_sequence),
      },
    );
    const connected = client.connect();
    FakeSocket.last.welcome();
    await connected;
    expect(FakeSocket.last.subscribes()[0]).toMatchObject({ snapshot: true });
    FakeSocket.last.frame({ type: 'subscribed', subscription_id: 'board', filters: {}, position: 10 });
    FakeSocket.last.frame({
      type: 'snapshot',
      subscription_id: 'board',
      position: 10,
      incidents: [],
      truncated: false,
    });

    FakeSocket.last.serverClose(1006);
    timers.advance(1000);
    FakeSocket.last.welcome();
    expect(FakeSocket.last.subscribes()).toEqual([
      { type: 'subscribe', subscription_id: 'board', filters: {}, resume_from: 10 },
    ]);
    FakeSocket.last.frame({
      type: 'subscribed',
      subscription_id: 'board',
      filters: {},
      position: 12,
      resumed: true,
    });
    FakeSocket.last.frame({ type: 'replay_complete', subscription_id: 'board', replayed: 0, position: 12 });

    FakeSocket.last.serverClose(1006);
    timers.advance(1000);
    FakeSocket.last.welcome();
    expect(FakeSocket.last.subscribes()[0]).toMatchObject({ resume_from: 12 });
    FakeSocket.last.frame({
      type: 'subscribed',
      subscription_id: 'board',
      filters: {},
      position: 900,
      resumed: false,
      oldest_sequence: 500,
    });
    expect(failures).toEqual([500]);
    expect(FakeSocket.last.subscribes()[1]).toEqual({
      type: 'subscribe',
      subscription_id: 'board',
      filters: {},
      snapshot: true,
    });
    FakeSocket.last.frame({
      type: 'snapshot',
      subscription_id: 'board',
      position: 901,
      incidents: [],
      truncated: false,
    });
    expect(snapshots).toEqual([10, 901]);
  });

  it('gives each subscription a connection of its own, and sends the token as a header or in the query', async () => {
    client = makeClient({ token: 'secret key', tokenTransport: 'query' });
    client.subscribe({ id: 'a' });
    client.subscribe({ id: 'b' });
    const connected = client.connect();
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.instances.forEach((socket) => socket.welcome());
    await connected;
    expect(FakeSocket.instances.map((socket) => socket.url)).toEqual([
      'ws://127.0.0.1:9/ws?access_token=secret%20key',
      'ws://127.0.0.1:9/ws?access_token=secret%20key',
    ]);
    expect(FakeSocket.instances.map((socket) => socket.subscribes()[0].subscription_id)).toEqual(['a', 'b']);

    const headerClient = makeClient({ url: 'https://example.test/', token: 't', tokenTransport: 'header' });
    void headerClient.connect().catch(() => undefined);
    expect(FakeSocket.last.url).toBe('wss://example.test/ws');
    expect(FakeSocket.last.options).toEqual({ headers: { authorization: 'Bearer t' } });
    await headerClient.close();
  });

  it('closes the connection of a subscription that ends', async () => {
    client = makeClient();
    const sub = client.subscribe({ id: 'x' });
    const connected = client.connect();
    FakeSocket.last.welcome();
    await connected;
    await sub.unsubscribe();
    expect(FakeSocket.last.sent[FakeSocket.last.sent.length - 1]).toEqual({
      type: 'unsubscribe',
      subscription_id: 'x',
    });
    expect(FakeSocket.last.readyState).toBe(3);
  });
  it('sends a new token to open connections and resolves on auth_ok; later connections use it', async () => {
    client = makeClient({ token: 'old', tokenTransport: 'query' });
    const connected = client.connect();
    const socket = FakeSocket.last;
    socket.welcome();
    await connected;
    let done = false;
    const refreshed = client.setToken('new').then(() => (done = true));
    expect(socket.sent[socket.sent.length - 1]).toEqual({ type: 'auth', token: 'new' });
    await Promise.resolve();
    expect(done).toBe(false);
    socket.frame({ type: 'auth_ok', expires_at: null });
    await refreshed;
    socket.serverClose(1006);
    timers.advance(1000);
    expect(FakeSocket.last.url).toBe('ws://127.0.0.1:9/ws?access_token=new');
  });

  it('rejects setToken when the server refuses the token', async () => {
    client = makeClient({ token: 'old' });
    const connected = client.connect();
    FakeSocket.last.welcome();
    await connected;
    const refreshed = client.setToken('someone else');
    FakeSocket.last.frame({ type: 'error', code: 'AUTHORIZATION_ERROR', message: 'another subject' });
    await expect(refreshed).rejects.toThrow('another subject');
  });
});
