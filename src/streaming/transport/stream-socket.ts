import WebSocket from 'ws';
import { CloseCode } from '../protocol/stream-protocol';
import type { StreamConnection } from '../connections/stream-connection';
import type { ClientSocket } from './client-socket';

/**
 * The server-side socket class (the `ws` server's `WebSocket` option): a `ws` WebSocket that knows its connection,
 * so that handlers reach their state without a lookup.
 */
export class StreamSocket extends WebSocket {
  /** Set when the connection is accepted; stays undefined for a refused one. */
  connection: StreamConnection | undefined;
  /** See ClientSocket.onPong. */
  onPong: ((socket: ClientSocket) => void) | undefined = undefined;

  /**
   * A pong from the peer goes to `onPong` before any listener: a 'pong' listener on every socket would take its
   * listener table (a dictionary) past its smallest size, about 120 bytes more per connection.
   */
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'pong') this.onPong?.(this);
    return super.emit(event, ...args);
  }

  /**
   * `ws` closes with 1009 by itself when a frame exceeds `maxPayload`, while parsing the frame header; this is the
   * only hook at that moment, and the contract wants `closing` before every close the server initiates.
   */
  override close(code?: number, data?: string | Buffer): void {
    if (code === CloseCode.MessageTooBig) this.connection?.announceClosing('message too large');
    super.close(code, data);
  }
}
