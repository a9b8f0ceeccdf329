import { EventPriority } from '../../events/event-priority';
import { CONTROL_PRIORITY, OutboundFrame } from '../transport/outbound-frame';
import { ShedLog } from './shed-log';

/** Lanes start this small (a power of two): most connections have one or two frames queued at a time. */
const INITIAL_LANE_CAPACITY = 4;
const SHRINK_ABOVE_CAPACITY = 64;

/** `offerEvent` results other than a shed priority. */
export const Offer = {
  /** Queued; nothing was shed. */
  Queued: -1,
  /** A Critical event found the queue full of Critical events: the consumer is too slow to keep. */
  Overflow: -2,
} as const;

/**
 * A FIFO of frames with their queue order: a ring buffer that grows by doubling and is reused as it drains, so
 * that steady traffic allocates nothing.
 */
class Lane {
  private frames: (OutboundFrame | undefined)[] = new Array<OutboundFrame | undefined>(INITIAL_LANE_CAPACITY);
  private orders: number[] = new Array<number>(INITIAL_LANE_CAPACITY).fill(0);
  private head = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get headOrder(): number {
    return this.count === 0 ? Number.POSITIVE_INFINITY : this.orders[this.head];
  }

  push(frame: OutboundFrame, order: number): void {
    if (this.count === this.frames.length) this.grow();
    const tail = (this.head + this.count) & (this.frames.length - 1);
    this.frames[tail] = frame;
    this.orders[tail] = order;
    this.count += 1;
  }

  shift(): OutboundFrame {
    const frame = this.frames[this.head] as OutboundFrame;
    this.frames[this.head] = undefined; // release the reference now
    this.head = (this.head + 1) & (this.frames.length - 1);
    this.count -= 1;
    // A backlog (a slow moment, a burst) should not pin a large ring on the connection forever.
    if (this.count === 0 && this.frames.length > SHRINK_ABOVE_CAPACITY) this.reset();
    return frame;
  }

  clear(): number {
    const dropped = this.count;
    this.reset();
    return dropped;
  }

  private reset(): void {
    this.frames = new Array<OutboundFrame | undefined>(INITIAL_LANE_CAPACITY);
    this.orders = new Array<number>(INITIAL_LANE_CAPACITY).fill(0);
    this.head = 0;
    this.count = 0;
  }

  /** Doubles the capacity (kept a power of two), unrolling the ring into the new arrays. */
  private grow(): void {
    const capacity = this.frames.length * 2;
    const frames = new Array<OutboundFrame | undefined>(capacity);
    const orders = new Array<number>(capacity).fill(0);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & (this.frames.length - 1);
      frames[i] = this.frames[from];
      orders[i] = this.orders[from];
    }
    this.frames = frames;
    this.orders = orders;
    this.head = 0;
  }
}

const LANES = CONTROL_PRIORITY + 1;

/**
 * A connection's bounded send queue: at most `capacity` event frames plus at most `capacity` control frames.
 * Frames leave in the order they were queued (across priorities). When the event part is full, the oldest frame of
 * the lowest priority below the incoming one is shed (Low, then Normal, then High); an incoming frame that is not
 * more important than anything queued is itself shed; a Critical one that finds only Critical frames overflows.
 * Lanes are created on first use so that an idle connection costs almost nothing.
 *
 * Shed frames are tallied for the connection's next `gap` message: how many, and the lowest and highest `sequence`
 * among them, since the last `shedReported` (three numbers, touched only when something is shed).
 */
export class SendQueue {
  /** Event frames shed since the last `shedReported`; 0 when there is nothing to report. */
  shedCount = 0;
  /** Lowest and highest `sequence` of those frames (meaningful while shedCount > 0). */
  shedFrom = 0;
  shedTo = 0;
  /** Every shed sequence, for replays on this connection (see ShedLog); shared with the connection's hold queue. */
  shedLog: ShedLog | null = null;
  private readonly lanes: (Lane | undefined)[] = new Array<Lane | undefined>(LANES);
  private events = 0;
  private controls = 0;
  private nextOrder = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.events + this.controls;
  }

  get eventCount(): number {
    return this.events;
  }

  get controlCount(): number {
    return this.controls;
  }

  get isEmpty(): boolean {
    return this.events + this.controls === 0;
  }

  /** Queues an event frame. Returns Offer.Queued, Offer.Overflow, or the priority of the frame that was shed. */
  offerEvent(frame: OutboundFrame): number {
    const priority = frame.priority;
    if (this.events < this.capacity) {
      this.push(frame);
      this.events += 1;
      return Offer.Queued;
    }
    const lowest = this.lowestQueuedEventPriority();
    if (lowest < priority) {
      this.recordShed(this.lane(lowest).shift());
      this.push(frame);
      return lowest;
    }
    if (priority === EventPriority.Critical) return Offer.Overflow;
    this.recordShed(frame);
    return priority;
  }

  /** Adds another queue's unreported shed tally to this one's (the connection's held events joining its queue). */
  absorbShedTally(other: SendQueue): void {
    if (other.shedCount === 0) return;
    if (this.shedCount === 0) {
      this.shedFrom = other.shedFrom;
      this.shedTo = other.shedTo;
    } else {
      this.shedFrom = Math.min(this.shedFrom, other.shedFrom);
      this.shedTo = Math.max(this.shedTo, other.shedTo);
    }
    this.shedCount += other.shedCount;
    other.shedReported();
  }

  /** Forgets the shed tally once a `gap` has reported it. */
  shedReported(): void {
    this.shedCount = 0;
  }

  /** Queues a control frame; false when the control part is full (the peer is not reading at all). */
  offerControl(frame: OutboundFrame): boolean {
    if (this.controls >= this.capacity) return false;
    this.push(frame);
    this.controls += 1;
    return true;
  }

  /** The oldest queued frame, or undefined. */
  shift(): OutboundFrame | undefined {
    let best = -1;
    let bestOrder = Number.POSITIVE_INFINITY;
    for (let i = 0; i < LANES; i++) {
      const lane = this.lanes[i];
      if (lane !== undefined && lane.headOrder < bestOrder) {
        bestOrder = lane.headOrder;
        best = i;
      }
    }
    if (best < 0) return undefined;
    const frame = this.lane(best).shift();
    if (best === CONTROL_PRIORITY) this.controls -= 1;
    else this.events -= 1;
    return frame;
  }

  /** Drops everything; returns how many frames were dropped. */
  clear(): number {
    let dropped = 0;
    for (const lane of this.lanes) dropped += lane?.clear() ?? 0;
    this.events = 0;
    this.controls = 0;
    this.shedCount = 0;
    return dropped;
  }

  private recordShed(frame: OutboundFrame): void {
    const sequence = frame.sequence;
    (this.shedLog ??= new ShedLog()).add(sequence);
    if (this.shedCount === 0) {
      this.shedFrom = sequence;
      this.shedTo = sequence;
    } else if (sequence < this.shedFrom) {
      this.shedFrom = sequence;
    } else if (sequence > this.shedTo) {
      this.shedTo = sequence;
    }
    this.shedCount += 1;
  }

  private push(frame: OutboundFrame): void {
    this.lane(frame.priority).push(frame, this.nextOrder++);
  }

  private lane(priority: number): Lane {
    let lane = this.lanes[priority];
    if (lane === undefined) {
      lane = new Lane();
      this.lanes[priority] = lane;
    }
    return lane;
  }

  private lowestQueuedEventPriority(): number {
    for (let p: number = EventPriority.Low; p <= EventPriority.Critical; p++) {
      if ((this.lanes[p]?.size ?? 0) > 0) return p;
    }
    return CONTROL_PRIORITY;
  }
}
