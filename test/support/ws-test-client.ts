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
 * A real `ws` client with promise helpers. It records every text frame in arrival order; `next*` read them in
 * order with a timeout. `connect` resolves once the `welcome` frame has arrived (unless `expectWelcome` is false).
 */
export class WsTestClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<CloseInfo>;
  private cursor = 0;
  private wake: (() => void) | null = null;
  private closeInfo: CloseInfo | null = null;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
        this.wake?.();
      });
    });
    socket.on('message', (data, isBinary) => {
      this.frames.push(
        isBinary ? { binary: true } : (JSON.parse((data as Buffer).toString('utf8')) as Frame),
      );
      this.wake?.();
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
      if (welcome.type !== 'welcome')
        throw new Error(`first frame is ${JSON.stringify(welcome)}, not welcome`);
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

  /** The next unread frame. */
  async next(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    return this.nextMatching(() => true, timeoutMs, 'the next frame', false);
  }

  /** The next unread frame of this type; frames of other types before it are skipped. */
  async nextOfType(type: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    return this.nextMatching((f) => f.type === type, timeoutMs, `a ${type} frame`, true);
  }

  /** Sends a message and returns the next frame (tests that use this keep the heartbeat interval long). */
  async request(message: unknown, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    this.send(message);
    return this.next(timeoutMs);
  }

  /** Subscribes and checks the `subscribed` reply. */
  async subscribe(subscriptionId: string, filters: Record<string, unknown> = {}): Promise<Frame> {
    const reply = await this.request({ type: 'subscribe', subscription_id: subscriptionId, filters });
    if (reply.type !== 'subscribed') throw new Error(`subscribe answered ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Waits until `count` event frames have arrived in total; returns all of them. */
  async events(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = this.frames.filter((f) => f.type === 'event');
      if (events.length >= count) return events;
      if (Date.now() > deadline) {
        throw new Error(
          `expected ${count} events, got ${events.length}: ${JSON.stringify(events.map(eventTypeOf))}`,
        );
      }
      await this.waitForFrame(deadline - Date.now());
    }
  }

  /** Event frames received so far. */
  receivedEvents(): Frame[] {
    return this.frames.filter((f) => f.type === 'event');
  }

  /** Resolves if no frame arrives within the next `ms`; rejects with what arrived otherwise. */
  async expectSilence(ms: number): Promise<void> {
    const start = this.frames.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    const unexpected = this.frames.slice(start);
    if (unexpected.length > 0) throw new Error(`unexpected frames: ${JSON.stringify(unexpected)}`);
    this.cursor = this.frames.length;
  }

  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CloseInfo> {
    return withTimeout(this.closed, timeoutMs, 'the socket to close');
  }

  /** Closes the client (if open) and waits for the close to complete. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    if (this.socket.readyState !== WebSocket.CLOSING) this.socket.close(1000);
    await withTimeout(this.closed, DEFAULT_TIMEOUT_MS, 'close').catch(() => this.socket.terminate());
  }

  private async nextMatching(
    predicate: (frame: Frame) => boolean,
    timeoutMs: number,
    what: string,
    skip: boolean,
  ): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++];
        if (predicate(frame)) return frame;
        if (!skip) throw new Error(`expected ${what}, got ${JSON.stringify(frame)}`);
      }
      if (this.closeInfo !== null) {
        throw new Error(
          `socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for ${what}`,
        );
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await this.waitForFrame(deadline - Date.now());
    }
  }

  private waitForFrame(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(ms, 1));
      const wake = (): void => done();
      this.wake = wake;
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
    });
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

/** Closes every client, ignoring failures (for afterEach/afterAll). */
export async function closeAll(clients: Iterable<WsTestClient>): Promise<void> {
  await Promise.all([...clients].map((c) => c.close().catch(() => undefined)));
}
