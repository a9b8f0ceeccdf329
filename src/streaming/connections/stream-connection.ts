import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { OutboundFrame, controlFrame } from '../transport/outbound-frame';
import { RateLimiter } from './rate-limiter';
import { Offer, SendQueue } from './send-queue';
import type { Session } from './session';
import { ServerMessageType } from '../protocol/stream-protocol';
import type { ControlMessage } from '../protocol/stream-protocol';
import type { StreamSocket } from '../transport/stream-socket';
import { PING_FRAME } from '../transport/websocket-framing';

/**
 * Bytes the socket may hold unsent (in Node's buffer, above what the kernel took) before we stop writing to it
 * and keep frames in the connection's own bounded queue instead.
 */
export const SOCKET_HIGH_WATER_BYTES = 256 * 1024;

const TEXT_FRAME = { binary: false } as const;
const DRAIN_RETRY_MS = 5;
const PERMESSAGE_DEFLATE = 'permessage-deflate';

/** What a connection needs from its owner: scheduling, accounting, and the slow-consumer decision. */
export interface ConnectionHost {
  /** Asks for a flush of this connection at the end of the current event-loop turn. */
  scheduleFlush(connection: StreamConnection): void;
  written(frame: OutboundFrame): void;
  shed(connection: StreamConnection, priority: number): void;
  dropped(count: number): void;
  sendFailed(connection: StreamConnection, error: unknown): void;
  slowConsumer(connection: StreamConnection): void;
}

/**
 * One live client: its socket, session and bounded send queue. Frames are queued, then written
 * in batches (`flush`) under one cork so that everything due to this connection in one turn goes out in one write;
 * the socket's `bufferedAmount` decides how much it takes, the rest waits in the queue until the socket drains.
 */
export class StreamConnection {
  readonly queue: SendQueue;
  readonly rate: RateLimiter;
  /** Pings sent since the peer last answered one. */
  missedPings = 0;
  /** Whether the connection is on the owner's list of connections to flush. */
  flushScheduled = false;
  private waitingForDrain = false;
  /** A WebSocket ping to write at the head of the next flush. */
  private pingDue = false;
  private closingSent = false;
  private closeStarted = false;
  /**
   * Without permessage-deflate, frames are written to the TCP socket pre-encoded (`OutboundFrame.wire`, one buffer
   * shared by all recipients) instead of through `ws.send`, which would build a header and make two writes per
   * recipient. This is safe because `ws` writes synchronously when it does not compress: its own frames (pings,
   * pongs, close) never interleave with ours. With compression each connection has its own deflate stream, so
   * frames go through `ws`.
   */
  private readonly writesEncodedFrames: boolean;
  private readonly onDrain = (): void => {
    this.waitingForDrain = false;
    this.host.scheduleFlush(this);
  };

  constructor(
    readonly socket: StreamSocket,
    /** The TCP socket under the WebSocket (from the upgrade request). */
    private readonly transport: Socket,
    readonly session: Session,
    readonly remoteAddress: string,
    private readonly host: ConnectionHost,
    limits: { maxPendingMessages: number; maxMessagesPerSecond: number },
  ) {
    this.queue = new SendQueue(limits.maxPendingMessages);
    this.rate = new RateLimiter(limits.maxMessagesPerSecond);
    this.writesEncodedFrames = !socket.extensions.includes(PERMESSAGE_DEFLATE);
  }

  get id(): string {
    return this.session.id;
  }

  /** Open and not closing: may still receive events and replies. */
  get isOpen(): boolean {
    return !this.closeStarted && this.socket.readyState === WebSocket.OPEN;
  }

  get isClosed(): boolean {
    return this.socket.readyState === WebSocket.CLOSED;
  }

  /** Bytes written to the socket and not yet taken by the kernel, plus what `ws` holds. */
  get bufferedAmount(): number {
    return this.socket.bufferedAmount;
  }

  /** Queues an event frame for this connection (the fan-out calls this at most once per event). */
  deliver(frame: OutboundFrame): void {
    if (!this.isOpen) return;
    // A full queue on a socket that is not backpressured is a burst within one turn, not a slow consumer:
    // write what we have now rather than shed.
    if (this.queue.eventCount >= this.queue.capacity && !this.waitingForDrain) this.flush();
    const outcome = this.queue.offerEvent(frame);
    if (outcome === Offer.Overflow) {
      this.host.slowConsumer(this);
      return;
    }
    if (outcome !== Offer.Queued) this.host.shed(this, outcome);
    this.requestFlush();
  }

  /** Queues a reply or heartbeat; a peer that lets even those pile up is a slow consumer. */
  reply(message: ControlMessage): void {
    this.sendControl(controlFrame(message));
  }

  sendControl(frame: OutboundFrame): void {
    if (!this.isOpen) return;
    if (!this.queue.offerControl(frame)) {
      this.host.slowConsumer(this);
      return;
    }
    this.requestFlush();
  }

  /**
   * One heartbeat: a WebSocket ping (the peer has until the next heartbeat to answer) and the JSON `pong`. Both go
   * out in the connection's next flush, under the same cork as any events due, so a heartbeat costs no write of its
   * own.
   */
  heartbeat(pong: OutboundFrame): void {
    if (!this.isOpen) return;
    this.missedPings += 1;
    if (this.writesEncodedFrames) this.pingDue = true;
    else this.socket.ping();
    this.sendControl(pong);
  }

  /** Writes queued frames, oldest first, while the socket takes them. */
  flush(): void {
    if (this.socket.readyState !== WebSocket.OPEN) {
      this.host.dropped(this.queue.clear());
      return;
    }
    if (this.queue.isEmpty || this.waitingForDrain) return;
    if (this.socket.bufferedAmount >= SOCKET_HIGH_WATER_BYTES) {
      this.awaitDrain();
      return;
    }
    // A cork gathers several writes into one `writev`; for the usual single frame per turn it would only add a
    // second pass of the stream machinery on every delivery.
    const corked = this.pingDue || this.queue.size > 1;
    if (corked) this.transport.cork();
    try {
      if (this.pingDue) {
        this.pingDue = false;
        this.transport.write(PING_FRAME);
      }
      let frame: OutboundFrame | undefined;
      while ((frame = this.queue.shift()) !== undefined) {
        this.write(frame);
        if (this.socket.bufferedAmount >= SOCKET_HIGH_WATER_BYTES) {
          if (!this.queue.isEmpty) this.awaitDrain();
          break;
        }
      }
    } finally {
      if (corked) this.transport.uncork();
    }
  }

  /**
   * Closes the connection as the server: optionally writes everything still queued (shutdown, expiry), else drops
   * it (a slow consumer's backlog is abandoned), then `closing`, then the close frame. `ws` terminates the socket
   * if the peer does not complete the close handshake within its close timeout.
   */
  close(code: number, reason: string, flushQueued: boolean): void {
    if (this.closeStarted) return;
    this.closeStarted = true;
    if (this.socket.readyState !== WebSocket.OPEN) {
      this.host.dropped(this.queue.clear());
      return;
    }
    if (flushQueued) {
      this.transport.cork();
      try {
        let frame: OutboundFrame | undefined;
        while ((frame = this.queue.shift()) !== undefined) this.write(frame);
      } finally {
        this.transport.uncork();
      }
    } else {
      this.host.dropped(this.queue.clear());
    }
    this.announceClosing(reason);
    this.socket.close(code, reason);
  }

  /** Writes `closing` straight to the socket, once, ahead of a close frame. */
  announceClosing(reason: string): void {
    if (this.closingSent || this.socket.readyState !== WebSocket.OPEN) return;
    this.closingSent = true;
    this.write(controlFrame({ type: ServerMessageType.Closing, reason }));
  }

  /** Drops the connection without a close handshake (a dead peer). */
  terminate(): void {
    this.closeStarted = true;
    this.host.dropped(this.queue.clear());
    this.socket.terminate();
  }

  /** Forgets queued frames once the socket is gone. */
  release(): void {
    this.closeStarted = true;
    this.host.dropped(this.queue.clear());
    if (this.waitingForDrain) this.transport.removeListener('drain', this.onDrain);
  }

  private requestFlush(): void {
    if (!this.flushScheduled && !this.waitingForDrain) this.host.scheduleFlush(this);
  }

  private awaitDrain(): void {
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    // 'drain' only comes if a write found the socket over its own high-water mark; bytes held by `ws` (while it
    // compresses) never trigger it, so then look again shortly instead.
    if (this.transport.writableNeedDrain) this.transport.once('drain', this.onDrain);
    else setTimeout(this.onDrain, DRAIN_RETRY_MS).unref();
  }

  private write(frame: OutboundFrame): void {
    try {
      if (this.writesEncodedFrames) this.transport.write(frame.wire);
      else this.socket.send(frame.data, TEXT_FRAME);
      this.host.written(frame);
    } catch (error) {
      this.host.sendFailed(this, error);
    }
  }
}
