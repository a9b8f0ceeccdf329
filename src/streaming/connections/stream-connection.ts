import { Logger } from '@nestjs/common';
import WebSocket from 'ws';
import { OPEN_PRINCIPAL, Principal } from '../../auth/principal';
import type { ControlMessage } from '../protocol/stream-protocol';
import { CloseCode, ServerMessageType } from '../protocol/stream-protocol';
import type { RouteKeys } from '../routing/subscription-index';
import type { Subscription } from '../routing/subscription';
import type { SubscriptionFilter } from '../routing/subscription-filter';
import type { StreamMetrics } from '../stream-metrics';
import { OutboundFrame, controlFrame } from '../transport/outbound-frame';
import type { ClientSocket, FrameTransport } from '../transport/client-socket';
import { PING_FRAME } from '../transport/websocket-framing';

/** An event stream's heartbeat: a comment line, which EventSource ignores (contract section 7). */
const EVENT_STREAM_PING = Buffer.from(': ping\n\n', 'utf8');
import { RateLimiter } from './rate-limiter';
import { Offer, SendQueue } from './send-queue';
import { ShedLog } from './shed-log';
import type { Session } from './session';

/**
 * Bytes the socket may hold unsent (in Node's buffer, above what the kernel took) before we stop writing to it
 * and keep frames in the connection's own bounded queue instead.
 */
export const SOCKET_HIGH_WATER_BYTES = 256 * 1024;
/**
 * The same while a replay streams a backlog to the connection: its frames come as fast as the peer reads them, and
 * a larger buffer lets one flush carry several pages (bounded: only replaying connections have it).
 */
export const REPLAY_HIGH_WATER_BYTES = 2 * 1024 * 1024;

const TEXT_FRAME = { binary: false } as const;
/** Polling for a drain that 'drain' does not announce (see awaitDrain): transport-level, not the app's clock. */
const DRAIN_RETRY_MS = 5;
/**
 * How long a slow consumer has to complete the close handshake before its socket is cut (see closeSlowConsumer).
 * Shorter than `ws`'s own close timeout (the backstop for every other close) because the peer is known not to read,
 * and each one still holds its socket's buffers. A deadline on the wire, not application time: a real timer.
 */
export const SLOW_CONSUMER_CLOSE_DEADLINE_MS = 2000;
const PERMESSAGE_DEFLATE = 'permessage-deflate';
/** Ended subscriptions whose delivered range is remembered (so that a replay skips what they delivered). */
export const MAX_RETIRED_SUBSCRIPTIONS = 256;

const logger = new Logger('Streaming');

/** The pending close of connections at their credential's expiry (CredentialLifetimeService). */
export interface CredentialExpiry {
  /** The connection no longer needs closing then (it closed, or its credential was refreshed). */
  remove(connection: StreamConnection): void;
}

/** Where a connection's writes are scheduled (FlushScheduler). */
export interface FlushRequests {
  schedule(connection: StreamConnection): void;
}

/** The metrics a connection updates itself. */
export type ConnectionMetrics = Pick<
  StreamMetrics,
  'frameWritten' | 'shed' | 'dropped' | 'sendError' | 'slowConsumerClosed' | 'slowConsumerCloseTimedOut'
>;

export interface ConnectionLimits {
  maxPendingMessages: number;
  maxMessagesPerSecond: number;
}

/**
 * One live client and everything the server keeps about it, in one place: its socket, session, subscriptions,
 * bounded send queue, heartbeat and message-rate state. Closing it is one call and nothing else holds its state
 * (the routing table keys it by the `routeKeys` kept here).
 *
 * Frames are queued, then written in batches (`flush`) under one cork so that everything due to this connection in
 * one turn goes out in one write; the socket's `bufferedAmount` decides how much it takes, the rest waits in the
 * queue until the socket drains. A peer that lets its queue overflow is a slow consumer and is closed with 4008.
 * Events the queue sheds to make room are reported to the peer in one `gap` message once the queue has room again.
 */
export class StreamConnection {
  /** Subscription id -> the subscription. */
  readonly subscriptions = new Map<string, Subscription>();
  /** Ended subscriptions, newest last, while a later replay could overlap what they delivered; null: none. */
  retired: Subscription[] | null = null;
  /** This connection's place in the routing table (SubscriptionIndex); null while it routes nothing. */
  routeKeys: RouteKeys | null = null;
  readonly queue: SendQueue;
  readonly rate: RateLimiter;
  /** Pings sent since the peer last answered one. */
  missedPings = 0;
  /** Epoch ms at which the next heartbeat is due. */
  heartbeatDueAt = 0;
  /** Closes the connection when its credential expires (CredentialLifetimeService); left when it closes. */
  credentialExpiry: CredentialExpiry | null = null;
  /** Whether the connection is on the scheduler's list of connections to flush. */
  flushScheduled = false;
  /** Unsent bytes the socket may hold before writes wait for it to drain (raised while a replay runs). */
  highWaterBytes = SOCKET_HIGH_WATER_BYTES;
  private waitingForDrain = false;
  /** A WebSocket ping to write at the head of the next flush. */
  private pingDue = false;
  private closingSent = false;
  private closeStarted = false;
  private closeDeadline: NodeJS.Timeout | null = null;
  /**
   * Without permessage-deflate, frames are written to the TCP socket pre-encoded (`OutboundFrame.wire`, one buffer
   * shared by all recipients) instead of through `ws.send`, which would build a header and make two writes per
   * recipient. This is safe because `ws` writes synchronously when it does not compress: its own frames (pings,
   * pongs, close) never interleave with ours. With compression each connection has its own deflate stream, so
   * frames go through `ws`.
   */
  private readonly writesEncodedFrames: boolean;
  /** A Server-Sent Events stream (`GET /v1/stream`): frames go out as SSE events (OutboundFrame.eventStream). */
  private readonly eventStream: boolean;
  /** The ping written at the head of a flush; null when `ws` sends its own (compression). */
  private readonly pingFrame: Buffer | null;
  /**
   * While a snapshot is being prepared (see beginCatchUp): the live events held back to follow it, under the same
   * bound and shedding rules as the send queue. Null otherwise.
   */
  private held: SendQueue | null = null;
  private catchUps = 0;
  /** The last replay begun (see runReplay); null before the first. */
  private replayChain: Promise<void> | null = null;
  /** Replays waiting for room in the send queue (see whenQueueBelow). */
  private roomWaiters: { below: number; resolve: () => void }[] | null = null;
  /** The 'drain' listener, made on the first wait (most connections never wait). */
  private drainListener: (() => void) | null = null;

  constructor(
    readonly socket: ClientSocket,
    /** The TCP socket under the WebSocket (from the upgrade request), or the response of an event stream. */
    private readonly transport: FrameTransport,
    readonly session: Session,
    readonly remoteAddress: string,
    private readonly flushes: FlushRequests,
    private readonly metrics: ConnectionMetrics,
    limits: ConnectionLimits,
    /** Who connected (the open principal in AUTH_MODE=none); replaced by a refreshed credential (`auth`). */
    public principal: Principal = OPEN_PRINCIPAL,
    /** The credential's constraint, AND-ed into every subscription of this connection; null: none. */
    readonly constraint: SubscriptionFilter | null = null,
  ) {
    this.queue = new SendQueue(limits.maxPendingMessages);
    this.rate = new RateLimiter(limits.maxMessagesPerSecond);
    this.eventStream = socket.eventStream === true;
    this.writesEncodedFrames = !socket.extensions.includes(PERMESSAGE_DEFLATE);
    this.pingFrame = this.eventStream ? EVENT_STREAM_PING : this.writesEncodedFrames ? PING_FRAME : null;
  }

  /** Whether the client answers pings (an event stream cannot: its TCP connection stands for its liveness). */
  get answersPings(): boolean {
    return !this.eventStream;
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

  /**
   * bufferedAmount as the flush reads it, once or twice per recipient: when frames are written pre-encoded, `ws`
   * holds nothing (it only queues while compressing), so the transport's own count is the whole of it and the
   * read does not go through `ws`'s sender, one more object per recipient to fetch from memory.
   */
  private get unsentBytes(): number {
    return this.writesEncodedFrames ? this.transport.writableLength : this.socket.bufferedAmount;
  }

  /** Queues an event frame for this connection (the fan-out calls this at most once per event). */
  deliver(frame: OutboundFrame): void {
    if (!this.isOpen) return;
    if (this.held !== null) {
      this.hold(this.held, frame);
      return;
    }
    // A full queue on a socket that is not backpressured is a burst within one turn, not a slow consumer:
    // write what we have now rather than shed.
    if (this.queue.eventCount >= this.queue.capacity && !this.waitingForDrain) this.flush();
    const outcome = this.queue.offerEvent(frame);
    if (outcome === Offer.Overflow) {
      this.closeSlowConsumer();
      return;
    }
    if (outcome !== Offer.Queued) this.metrics.shed(outcome);
    this.requestFlush();
  }

  /**
   * Queues an event read back from the log (a replay), among the live events of the connection's other
   * subscriptions. The replay makes room first (whenQueueBelow), so it never causes shedding by itself.
   */
  deliverReplayed(frame: OutboundFrame): void {
    if (!this.isOpen) return;
    this.queue.offerEvent(frame);
    this.requestFlush();
  }

  /**
   * Starts holding this connection's live events back (a snapshot is being read for one of its subscriptions); they
   * follow, in order, once every catch-up begun has ended (endCatchUp).
   */
  beginCatchUp(): void {
    if (this.held === null) {
      this.held = new SendQueue(this.queue.capacity);
      this.held.shedLog = this.queue.shedLog ??= new ShedLog();
    }
    this.catchUps += 1;
  }

  /** Runs a replay after the ones before it: a connection's replays run one at a time. */
  runReplay(task: () => Promise<void>): void {
    this.replayChain = (this.replayChain ?? Promise.resolve()).then(task).catch((error: unknown) => {
      logger.warn(`replay on ${this.id} failed: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  endCatchUp(): void {
    this.catchUps -= 1;
    if (this.catchUps === 0) this.releaseHeld();
  }

  /** Writes what is queued now rather than at the end of the turn (a replay streaming pages), unless backpressured. */
  flushNow(): void {
    if (this.waitingForDrain) return;
    this.flush();
  }

  /** Resolves once fewer than `count` events are queued (or the connection is closing): a replay's flow control. */
  whenQueueBelow(count: number): Promise<void> {
    if (this.queue.eventCount < count || !this.isOpen) return Promise.resolve();
    return new Promise((resolve) => (this.roomWaiters ??= []).push({ below: count, resolve }));
  }

  /** Queues a reply or heartbeat; a peer that lets even those pile up is a slow consumer. */
  reply(message: ControlMessage): void {
    this.sendControl(controlFrame(message));
  }

  /**
   * Writes a reply now rather than in the turn's flush pass (a new connection's `welcome`, while its socket is still
   * corked with the 101 answer), without asking for that pass.
   */
  replyNow(message: ControlMessage): void {
    if (this.isOpen && this.queueControl(controlFrame(message))) this.flushNow();
  }

  sendControl(frame: OutboundFrame): void {
    if (!this.isOpen) return;
    if (this.queueControl(frame)) this.requestFlush();
  }

  /** Queues a control frame; false when it did not fit and the connection is being closed as a slow consumer. */
  private queueControl(frame: OutboundFrame): boolean {
    // As for events: replies piling up within one turn (a burst of client messages) are written, not a slow consumer.
    if (this.queue.controlCount >= this.queue.capacity && !this.waitingForDrain) this.flush();
    if (!this.queue.offerControl(frame)) {
      this.closeSlowConsumer();
      return false;
    }
    return true;
  }

  /**
   * One heartbeat: a WebSocket ping (the peer has until the next heartbeat to answer) and the JSON `pong`, under one
   * cork. A connection already waiting for its flush sends them there, with its events; an idle one (nearly all of
   * them at any heartbeat) writes them now, while the heartbeat's tick has it at hand, rather than joining the turn's
   * flush pass to be visited a second time.
   */
  heartbeat(pong: OutboundFrame): void {
    if (!this.isOpen) return;
    if (this.eventStream) {
      // An event stream's heartbeat is the ping comment alone; its client has no way to answer it.
      this.pingDue = true;
    } else {
      this.missedPings += 1;
      if (this.pingFrame !== null) this.pingDue = true;
      else this.socket.ping();
      if (!this.queueControl(pong)) return;
    }
    if (this.flushScheduled) return;
    this.flushNow();
  }

  /** The peer answered a ping: it is alive and active. */
  pongReceived(now: number): void {
    this.missedPings = 0;
    this.session.touch(now);
  }

  /** Writes queued frames, oldest first, while the socket takes them. */
  flush(): void {
    if (this.socket.readyState !== WebSocket.OPEN) {
      this.metrics.dropped(this.queue.clear());
      return;
    }
    if ((this.queue.isEmpty && !this.pingDue) || this.waitingForDrain) return;
    if (this.unsentBytes >= this.highWaterBytes) {
      this.awaitDrain();
      return;
    }
    // A cork gathers several writes into one `writev`; for the usual single frame per turn it would only add a
    // second pass of the stream machinery on every delivery.
    const corked = this.pingDue || this.queue.size > 1;
    if (corked) this.transport.cork();
    try {
      if (this.pingDue && this.pingFrame !== null) {
        this.pingDue = false;
        this.transport.write(this.pingFrame);
      }
      let frame: OutboundFrame | undefined;
      while ((frame = this.queue.shift()) !== undefined) {
        this.write(frame);
        if (this.unsentBytes >= this.highWaterBytes) {
          if (!this.queue.isEmpty) this.awaitDrain();
          break;
        }
      }
    } finally {
      if (corked) this.transport.uncork();
    }
    if (this.queue.shedCount !== 0 && this.queue.eventCount < this.queue.capacity) this.reportGap();
    if (this.roomWaiters !== null) this.wakeRoomWaiters();
  }

  /**
   * Closes the connection as the server: optionally writes everything still queued (shutdown, expiry, rate limit),
   * with a `gap` for whatever it shed, else drops it (a slow consumer's backlog is abandoned), then `closing`, then
   * the close frame. `ws` terminates the socket if the peer does not complete the close handshake within its close
   * timeout (a slow consumer has a shorter deadline, see closeSlowConsumer).
   */
  close(code: number, reason: string, flushQueued: boolean): void {
    if (this.closeStarted) return;
    this.closeStarted = true;
    this.wakeRoomWaiters();
    const held = this.held;
    this.held = null;
    if (this.socket.readyState !== WebSocket.OPEN) {
      this.metrics.dropped(this.queue.clear());
      return;
    }
    if (flushQueued) {
      this.transport.cork();
      try {
        let frame: OutboundFrame | undefined;
        while ((frame = this.queue.shift()) !== undefined) this.write(frame);
        // Live events held behind an unfinished replay still go out (the client resumes the rest elsewhere).
        if (held !== null) {
          this.queue.absorbShedTally(held);
          while ((frame = held.shift()) !== undefined) this.write(frame);
        }
        if (this.queue.shedCount !== 0) {
          this.write(this.gapFrame());
          this.queue.shedReported();
        }
      } finally {
        this.transport.uncork();
      }
    } else {
      this.metrics.dropped(this.queue.clear());
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
    this.held = null;
    this.wakeRoomWaiters();
    this.clearCloseDeadline();
    this.metrics.dropped(this.queue.clear());
    this.socket.terminate();
  }

  /** Forgets queued frames once the socket is gone. */
  release(): void {
    this.closeStarted = true;
    this.held = null;
    this.wakeRoomWaiters();
    this.credentialExpiry?.remove(this);
    this.credentialExpiry = null;
    this.clearCloseDeadline();
    this.metrics.dropped(this.queue.clear());
    if (this.waitingForDrain && this.drainListener !== null) {
      this.transport.removeListener('drain', this.drainListener);
    }
  }

  /** Counts a write that threw; the connection's close (if the socket broke) follows from `ws`. */
  writeFailed(error: unknown): void {
    this.metrics.sendError();
    logger.debug(`write to ${this.id} failed: ${error instanceof Error ? error.message : String(error)}`);
  }

  /**
   * The slow-consumer rule: a peer whose queue overflows is closed (4008) and its backlog abandoned, so that
   * `closing` and the close frame are written right behind what the socket already holds (at most the high-water
   * mark and one frame), past the mark: the peer sees 4008 as soon as it reads that far. One that has not completed
   * the close handshake by the deadline is cut (what it never read is lost; it sees 1006), and counted.
   */
  private closeSlowConsumer(): void {
    if (!this.isOpen) return;
    this.metrics.slowConsumerClosed();
    logger.warn(`closing slow consumer ${this.id} (${this.remoteAddress})`);
    this.close(CloseCode.SlowConsumer, 'slow consumer', false);
    if (this.isClosed) return;
    this.closeDeadline = setTimeout(() => this.closeDeadlinePassed(), SLOW_CONSUMER_CLOSE_DEADLINE_MS);
    this.closeDeadline.unref();
  }

  private closeDeadlinePassed(): void {
    this.closeDeadline = null;
    if (this.isClosed) return;
    this.metrics.slowConsumerCloseTimedOut();
    logger.warn(`slow consumer ${this.id} did not complete the close handshake in time: terminated`);
    this.socket.terminate();
  }

  private clearCloseDeadline(): void {
    if (this.closeDeadline === null) return;
    clearTimeout(this.closeDeadline);
    this.closeDeadline = null;
  }

  /**
   * Tells the peer, once its queue has room again, which events were shed since the last `gap` (contract section
   * 7). Queued behind what is already queued, so it may follow events newer than the range it reports.
   */
  private reportGap(): void {
    // When not even replies get through (the control part is full), the tally stays for a later flush.
    if (!this.queue.offerControl(this.gapFrame())) return;
    this.queue.shedReported();
    this.requestFlush();
  }

  /** The `gap` message for what the queue shed since the last one. */
  private gapFrame(): OutboundFrame {
    const queue = this.queue;
    return controlFrame({
      type: ServerMessageType.Gap,
      from_sequence: queue.shedFrom,
      to_sequence: queue.shedTo,
      dropped: queue.shedCount,
    });
  }

  /** Queues a live event behind a catch-up; a Critical one that finds the held queue full is a slow consumer. */
  private hold(held: SendQueue, frame: OutboundFrame): void {
    const outcome = held.offerEvent(frame);
    if (outcome === Offer.Overflow) this.closeSlowConsumer();
    else if (outcome !== Offer.Queued) this.metrics.shed(outcome);
  }

  /**
   * The held live events join the send queue, in order, with their shed tally for the next `gap`; the queue's rules
   * apply as they join (a burst beyond its bound sheds, a Critical event that does not fit is a slow consumer).
   */
  private releaseHeld(): void {
    const held = this.held;
    if (held === null) return;
    this.held = null;
    if (!this.isOpen) return;
    this.queue.absorbShedTally(held);
    let frame: OutboundFrame | undefined;
    while ((frame = held.shift()) !== undefined) this.deliver(frame);
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    if (waiters === null) return;
    const open = this.isOpen;
    const still = waiters.filter((w) => {
      if (open && this.queue.eventCount >= w.below) return true;
      w.resolve();
      return false;
    });
    this.roomWaiters = still.length === 0 ? null : still;
  }

  private requestFlush(): void {
    if (!this.flushScheduled && !this.waitingForDrain) this.flushes.schedule(this);
  }

  private awaitDrain(): void {
    if (this.waitingForDrain) return;
    this.waitingForDrain = true;
    // 'drain' only comes if a write found the socket over its own high-water mark; bytes held by `ws` (while it
    // compresses) never trigger it, so then look again shortly instead.
    const onDrain = (this.drainListener ??= (): void => {
      this.waitingForDrain = false;
      this.flushes.schedule(this);
    });
    if (this.transport.writableNeedDrain) this.transport.once('drain', onDrain);
    else setTimeout(onDrain, DRAIN_RETRY_MS).unref();
  }

  private write(frame: OutboundFrame): void {
    try {
      if (this.eventStream) this.transport.write(frame.eventStream);
      else if (this.writesEncodedFrames) this.transport.write(frame.wire);
      else this.socket.send(frame.data, TEXT_FRAME);
      this.metrics.frameWritten(frame);
    } catch (error) {
      this.writeFailed(error);
    }
  }
}
