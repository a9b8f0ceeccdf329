import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import WebSocket from 'ws';
import type { StreamConnection } from '../connections/stream-connection';
import type { ClientSocket } from '../transport/client-socket';

/**
 * A Server-Sent Events response seen as a connection's socket, so that an event stream is a StreamConnection like
 * a WebSocket: the same queue, limits, catch-up and shutdown. Frames are written to the response by the connection
 * (as SSE events); closing ends the response, terminating destroys it; 'close' is emitted when it is gone.
 */
export class EventStreamSocket extends EventEmitter implements ClientSocket {
  readonly eventStream = true;
  readonly extensions = '';
  connection: StreamConnection | undefined;
  private state: number = WebSocket.OPEN;

  constructor(private readonly response: ServerResponse) {
    super();
    response.once('close', () => {
      this.state = WebSocket.CLOSED;
      this.emit('close');
    });
    response.on('error', (error) => this.emit('error', error));
  }

  get readyState(): number {
    return this.state;
  }

  /** What the response holds unsent, down to the TCP socket's own buffer. */
  get bufferedAmount(): number {
    return this.response.writableLength;
  }

  /** Not used: the connection writes SSE-encoded frames to the response itself. */
  send(data: Buffer): void {
    this.response.write(data);
  }

  /** An event stream's heartbeat is a comment the connection writes; there is no ping to send. */
  ping(): void {}

  close(): void {
    if (this.state !== WebSocket.OPEN) return;
    this.state = WebSocket.CLOSING;
    this.response.end();
  }

  terminate(): void {
    this.state = WebSocket.CLOSING;
    this.response.destroy();
  }
}
