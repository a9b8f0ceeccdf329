import WebSocket from 'ws';

export interface EventFrame {
  type: 'event';
  message_id: string;
  sequence: number;
  timestamp: string;
  event: { event_type: string } & Record<string, unknown>;
}

/**
 * A real WebSocket client of /ws that subscribes with the given filters and collects the `event` frames it
 * receives; `waitFor` resolves once a matching frame arrived.
 */
export class WsSubscriber {
  readonly events: EventFrame[] = [];
  private readonly waiters: { match: (e: EventFrame) => boolean; resolve: (e: EventFrame) => void }[] = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: WebSocket.RawData) => {
      const frame = parseFrame(data);
      if (frame.type !== 'event') return;
      const event = frame as EventFrame;
      this.events.push(event);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(event)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    });
  }

  static async connect(
    url: string,
    filters: Record<string, unknown>,
    timeoutMs = 3000,
  ): Promise<WsSubscriber> {
    const socket = new WebSocket(url);
    const subscriber = new WsSubscriber(socket);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.on('message', (data: WebSocket.RawData) => {
          const frame = parseFrame(data);
          if (frame.type === 'welcome') {
            socket.send(JSON.stringify({ type: 'subscribe', subscription_id: 'test', filters }));
          } else if (frame.type === 'subscribed') {
            resolve();
          }
        });
      }),
      timeoutMs,
      'subscription',
    );
    return subscriber;
  }

  waitFor(match: (e: EventFrame) => boolean, timeoutMs = 3000): Promise<EventFrame> {
    const found = this.events.find(match);
    if (found) return Promise.resolve(found);
    return withTimeout(
      new Promise<EventFrame>((resolve) => this.waiters.push({ match, resolve })),
      timeoutMs,
      'an event frame',
    );
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close(1000);
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function parseFrame(data: WebSocket.RawData): { type: string } {
  let text: string;
  if (Array.isArray(data)) text = Buffer.concat(data).toString('utf8');
  else if (data instanceof ArrayBuffer) text = Buffer.from(new Uint8Array(data)).toString('utf8');
  else text = data.toString('utf8');
  return JSON.parse(text) as { type: string };
}
