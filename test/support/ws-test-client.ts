import WebSocket from 'ws';

/** A parsed server frame. Tests read fields loosely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read arbitrary nested fields
export type Frame = Record<string, any>;

export interface CloseInfo {
  code: number;
  reason: string;
}

const DEFAULT_TIMEOUT_MS = 3000;

/**
 * The one WebSocket test client: a real `ws` client of the gateway whose reads are promises with a timeout (as in
 * nestjs/nest's websockets e2e). It records every text frame in arrival order. `next` reads them in order, `waitFor`
 * finds one by content whenever it arrived; both wake on the frame itself, never by polling. `connect` resolves
 * once the `welcome` frame has arrived (unless `expectWelcome` is false). Close clients before `app.close()`.
 */
/** Sentinel pings carry timestamps from here on: distinct from anything a test sends. */
const SENTINEL_EPOCH = Date.UTC(2000, 0, 1);

export class WsTestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<CloseInfo>;
  private readonly eventFrames: Frame[] = [];
  private cursor = 0;
  /** Sentinel pings sent (each gets a timestamp of its own, see expectNothingPending). */
  private sentinels = 0;
  private closeInfo: CloseInfo | null = null;
  /** Pending reads, re-checked on every frame and on close. */
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake();
      });
    });
    socket.on('message', (data, isBinary) => {
      const frame: Frame = isBinary
        ? { binary: true }
        : (JSON.parse((data as Buffer).toString('utf8')) as Frame);
      this.frames.push(frame);
      if (frame.type === 'event') this.eventFrames.push(frame);
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static async connect(
    url: string,
    options: WebSocket.ClientOptions & { expectWelcome?: boolean } = {},
  ): Promise<WsTestClient> {
    const { expectWelcome = true, ...wsOptions } = options;
    const socket = new WebSocket(url, wsOptions);
    const client = new WsTestClient(socket);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
        socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      }),
      DEFAULT_TIMEOUT_MS,
      `connect to ${url}`,
    );
    if (expectWelcome) {
      const welcome = await client.next();
      if (welcome.type !== 'welcome') {
        throw new Error(`first frame is ${JSON.stringify(welcome)}, not welcome`);
      }
    }
    return client;
  }

  get welcome(): Frame {
    return this.frames[0];
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next unread frame; with `type`, the next unread frame of that type (unread frames before it are passed). */
  next(type?: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    return this.until(
      () => {
        while (this.cursor < this.frames.length) {
          const frame = this.frames[this.cursor++];
          if (type === undefined || frame.type === type) return frame;
        }
        return undefined;
      },
      timeoutMs,
      () => (type === undefined ? 'the next frame' : `a ${type} frame`),
    );
  }

  /** The first frame, received already or later, that matches; does not move the read position of `next`. */
  waitFor(predicate: (frame: Frame) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    let scanned = 0;
    return this.until(
      () => {
        for (; scanned < this.frames.length; scanned++) {
          if (predicate(this.frames[scanned])) return this.frames[scanned];
        }
        return undefined;
      },
      timeoutMs,
      () => 'a matching frame',
    );
  }

  /** Sends a message and returns the next frame (tests that use this keep the heartbeat interval long). */
  async request(message: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    this.send(message);
    return this.next(undefined, timeoutMs);
  }

  /** Subscribes and checks the `subscribed` reply. */
  async subscribe(subscriptionId: string, filters: Record<string, unknown> = {}): Promise<Frame> {
    const reply = await this.request({ type: 'subscribe', subscription_id: subscriptionId, filters });
    if (reply.type !== 'subscribed') throw new Error(`subscribe answered ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Waits until `count` event frames have arrived in total; returns all of them. */
  events(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame[]> {
    return this.until(
      () => (this.eventFrames.length >= count ? [...this.eventFrames] : undefined),
      timeoutMs,
      () =>
        `${count} events, got ${this.eventFrames.length}: ${JSON.stringify(this.eventFrames.map(eventTypeOf))}`,
    );
  }

  /** Event frames received so far. */
  receivedEvents(): Frame[] {
    return [...this.eventFrames];
  }

  /**
   * Proves that nothing else is due to this client, with a sentinel rather than a sleep: sends a `ping` and waits
   * for its `pong`, which the server queues behind every frame already due to this connection (one connection's
   * frames leave in order); throws if any other frame (a heartbeat aside) arrived before it. Everything up to the
   * sentinel counts as read.
   */
  async expectNothingPending(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const start = this.frames.length;
    const timestamp = new Date(SENTINEL_EPOCH + ++this.sentinels).toISOString();
    this.send({ type: 'ping', timestamp });
    const sentinel = await this.waitFor((f) => f.type === 'pong' && f.timestamp === timestamp, timeoutMs);
    const end = this.frames.indexOf(sentinel);
    const unexpected = this.frames.slice(start, end).filter((f) => f.type !== 'pong');
    if (unexpected.length > 0) throw new Error(`unexpected frames: ${JSON.stringify(unexpected)}`);
    this.cursor = Math.max(this.cursor, end + 1);
  }

  waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CloseInfo> {
    return withTimeout(this.closed, timeoutMs, 'the socket to close');
  }

  /** Closes the client (if open) and waits for the close to complete. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    if (this.socket.readyState !== WebSocket.CLOSING) this.socket.close(1000);
    await withTimeout(this.closed, DEFAULT_TIMEOUT_MS, 'close').catch(() => this.socket.terminate());
  }

  /**
   * Resolves with the first defined answer of `check`, tried now and after every frame; rejects when the socket
   * closes first or after `timeoutMs`.
   */
  private until<T>(check: () => T | undefined, timeoutMs: number, what: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value !== undefined) {
          resolve(value);
          return true;
        }
        if (this.closeInfo !== null) {
          const { code, reason } = this.closeInfo;
          reject(new Error(`socket closed (${code} ${reason}) while waiting for ${what()}`));
          return true;
        }
        return false;
      };
      if (attempt()) return;
      const onChange = (): void => {
        if (attempt()) settle();
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`));
      }, timeoutMs);
      const settle = (): void => {
        clearTimeout(timer);
        this.waiters.delete(onChange);
      };
      this.waiters.add(onChange);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

export function eventTypeOf(frame: Frame): string {
  return String(frame.event?.event_type);
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes every client, ignoring failures (for afterEach/afterAll, before the app closes). */
export async function closeAll(clients: Iterable<WsTestClient>): Promise<void> {
  await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
}
