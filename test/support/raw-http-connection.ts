import type { Server } from 'node:http';
import { Socket, connect } from 'node:net';
import { withTimeout } from './ws-test-client';

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/** How a connection ended: `fin` is an orderly close by the server, `reset` a TCP reset (ECONNRESET). */
export type ConnectionEnd = 'fin' | 'reset';

const DEFAULT_TIMEOUT_MS = 3000;

/**
 * One HTTP/1.1 keep-alive connection on a raw socket, for tests that need what fetch and supertest hide: which
 * connection a request goes on, a request body sent in two parts (a request the server has begun but cannot
 * finish yet), every response header, and whether the server ended the connection with a FIN or a reset.
 * Responses must carry Content-Length (every JSON answer of the API does).
 */
export class RawHttpConnection {
  readonly responses: RawResponse[] = [];
  readonly ended: Promise<ConnectionEnd>;
  private buffer = Buffer.alloc(0);
  private wake: () => void = () => undefined;
  private end: ConnectionEnd | null = null;

  private constructor(private readonly socket: Socket) {
    this.ended = new Promise((resolve) => {
      socket.on('error', (error: NodeJS.ErrnoException) => {
        this.end ??= error.code === 'ECONNRESET' ? 'reset' : 'fin';
      });
      socket.on('close', () => {
        this.end ??= 'fin';
        resolve(this.end);
        this.wake();
      });
    });
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.parse();
      this.wake();
    });
  }

  static async open(baseUrl: string): Promise<RawHttpConnection> {
    const { hostname, port } = new URL(baseUrl);
    const socket = connect(Number(port), hostname);
    const connection = new RawHttpConnection(socket);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      }),
      DEFAULT_TIMEOUT_MS,
      `connect to ${baseUrl}`,
    );
    return connection;
  }

  /**
   * Writes a POST with a JSON body. With `holdBack`, the last `holdBack` bytes of the body are kept back: the server
   * has the request but cannot answer it until `finish()` sends them.
   */
  post(path: string, body: unknown, holdBack = 0): { finish(): void } {
    const json = Buffer.from(JSON.stringify(body));
    const head =
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${json.length}\r\n\r\n`;
    const split = json.length - holdBack;
    this.socket.write(Buffer.concat([Buffer.from(head), json.subarray(0, split)]));
    return { finish: () => this.socket.write(json.subarray(split)) };
  }

  /** Waits until `count` responses have arrived in total on this connection. */
  responsesUntil(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<RawResponse[]> {
    return withTimeout(
      new Promise<RawResponse[]>((resolve, reject) => {
        const check = (): void => {
          if (this.responses.length >= count) resolve(this.responses);
          else if (this.end !== null) {
            reject(new Error(`connection ended (${this.end}) after ${this.responses.length} responses`));
          }
        };
        this.wake = check;
        check();
      }),
      timeoutMs,
      `${count} responses`,
    );
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      const headEnd = this.buffer.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const [statusLine, ...lines] = this.buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length']);
      if (!Number.isInteger(length)) throw new Error(`response without Content-Length: ${statusLine}`);
      const bodyStart = headEnd + 4;
      if (this.buffer.length < bodyStart + length) return;
      this.responses.push({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: this.buffer.subarray(bodyStart, bodyStart + length).toString('utf8'),
      });
      this.buffer = this.buffer.subarray(bodyStart + length);
    }
  }
}

/**
 * Resolves once the server has read the head of `count` more requests (its `request` event): from then on they are
 * in flight, whatever is left of their bodies.
 */
export function requestsReceived(
  server: Server,
  count: number,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  let seen = 0;
  let onRequest: () => void = () => undefined;
  return withTimeout(
    new Promise<void>((resolve) => {
      onRequest = () => {
        if (++seen === count) resolve();
      };
      server.on('request', onRequest);
    }),
    timeoutMs,
    `${count} requests to reach the server`,
  ).finally(() => server.off('request', onRequest));
}
