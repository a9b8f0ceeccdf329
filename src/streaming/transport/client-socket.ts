import type { StreamConnection } from '../connections/stream-connection';

/** What a connection needs of its client socket: a WebSocket (StreamSocket) or a Server-Sent Events stream. */
export interface ClientSocket {
  /** The WebSocket ready states (CONNECTING 0, OPEN 1, CLOSING 2, CLOSED 3). */
  readonly readyState: number;
  /** Bytes accepted and not yet handed to the kernel. */
  readonly bufferedAmount: number;
  /** The negotiated WebSocket extensions (empty for an event stream). */
  readonly extensions: string;
  /** True for a Server-Sent Events stream: frames are written as SSE events, and the client cannot answer pings. */
  readonly eventStream?: boolean;
  /** Set when the connection is accepted. */
  connection: StreamConnection | undefined;
  /** Called for each pong the peer sends (HeartbeatService); an event stream has none. */
  onPong?: ((socket: ClientSocket) => void) | undefined;
  send(data: Buffer, options: { binary: boolean }): void;
  ping(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** Where a connection writes its frames (the TCP socket under a WebSocket, or an SSE response). */
export interface FrameTransport {
  readonly writableNeedDrain: boolean;
  /** Bytes written and not yet taken by the kernel. */
  readonly writableLength: number;
  cork(): void;
  uncork(): void;
  write(chunk: Buffer): boolean;
  once(event: 'drain', listener: () => void): unknown;
  removeListener(event: 'drain', listener: () => void): unknown;
}
