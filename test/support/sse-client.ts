import { ClientRequest, IncomingMessage, request } from 'node:http';
import { withTimeout } from './ws-test-client';

const DEFAULT_TIMEOUT_MS = 5000;

/** One Server-Sent Event as received; `data` parsed as JSON. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test frames are read loosely
  data: Record<string, any>;
}

/** A minimal EventSource for tests: one GET, events parsed as they arrive, comment lines counted. */
export class SseTestClient {
  readonly events: SseEvent[] = [];
  /** Comment lines (`: ping`) received. */
  readonly comments: string[] = [];
  /** The `retry:` fields received. */
  readonly retries: number[] = [];
  ended = false;
  private cursor = 0;
  private buffer = '';
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly req: ClientRequest,
    readonly response: IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      this.buffer += chunk;
      this.parse();
      this.wake();
    });
    response.on('end', () => {
      this.ended = true;
      this.wake();
    });
    response.on('error', () => undefined);
    req.on('error', () => undefined);
  }

  /** Opens `url`; resolves once the response head arrived (any status: check `response.statusCode`). */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseTestClient> {
    return withTimeout(
      new Promise<SseTestClient>((resolve, reject) => {
        const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) =>
          resolve(new SseTestClient(req, response)),
        );
        req.on('error', reject);
        req.end();
      }),
      DEFAULT_TIMEOUT_MS,
      `open ${url}`,
    );
  }

  /** The whole body of a response that is not a stream (an error answer). */
  async body(): Promise<string> {
    await this.until(() => (this.ended ? true : undefined), 'the end of the response');
    return this.buffer;
  }

  /** The next unread event; with `name`, the next of that name (unread ones before it are passed). */
  next(name?: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SseEvent> {
    return this.until(
      () => {
        while (this.cursor < this.events.length) {
          const event = this.events[this.cursor++];
          if (name === undefined || event.event === name) return event;
        }
        return undefined;
      },
      name === undefined ? 'the next event' : `a ${name} event`,
      timeoutMs,
    );
  }

  waitFor(predicate: (event: SseEvent) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SseEvent> {
    return this.until(() => this.events.find(predicate), 'a matching event', timeoutMs);
  }

  waitForComments(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return this.until(
      () => (this.comments.length >= count ? true : undefined),
      `${count} comment lines`,
      timeoutMs,
    ).then(() => undefined);
  }

  /** Waits for the server to end the response. */
  async waitEnded(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.until(() => (this.ended ? true : undefined), 'the end of the stream', timeoutMs);
  }

  close(): void {
    this.req.destroy();
  }

  /** Event frames (`data.type === 'event'`) received so far. */
  eventFrames(): SseEvent[] {
    return this.events.filter((e) => e.data.type === 'event');
  }

  private parse(): void {
    if (this.response.statusCode !== 200) return;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let id: string | undefined;
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line);
        else if (line.startsWith('id: ')) id = line.slice(4);
        else if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
        else if (line.startsWith('retry: ')) this.retries.push(Number(line.slice(7)));
      }
      if (data.length > 0) {
        this.events.push({ id, event: name, data: JSON.parse(data.join('\n')) as SseEvent['data'] });
      }
    }
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private until<T>(check: () => T | undefined, what: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    const found = check();
    if (found !== undefined) return Promise.resolve(found);
    return withTimeout(
      new Promise<T>((resolve) => {
        const waiter = (): void => {
          const value = check();
          if (value === undefined) return;
          this.waiters.delete(waiter);
          resolve(value);
        };
        this.waiters.add(waiter);
      }),
      timeoutMs,
      what,
    );
  }
}
