import { EventPriority } from '../../events/event-priority';
import { CONTROL_PRIORITY, OutboundFrame } from '../transport/outbound-frame';
import { ShedLog } from './shed-log';

/** The ring starts this small (a power of two): most connections have one or two frames queued at a time. */
const INITIAL_RING_CAPACITY = 4;
/** A ring grown past this by a backlog is given up once it drains, so that a burst does not pin memory. */
const SHRINK_ABOVE_CAPACITY = 64;
/** Shed frames leave holes in the ring; it is compacted once holes outnumber frames by this much. */
const MAX_HOLES_OVER_FRAMES = 16;

/** A queue that has never held a frame shares this empty ring (never written: the first append replaces it). */
const NO_RING: readonly (OutboundFrame | undefined)[] = Object.freeze([]);

/** `offerEvent` results other than a shed priority. */
export const Offer = {
  /** Queued; nothing was shed. */
  Queued: -1,
  /** A Critical event found the queue full of Critical events: the consumer is too slow to keep. */
  Overflow: -2,
} as const;

/**
 * A connection's bounded send queue: at most `capacity` event frames plus at most `capacity` control frames.
 * Frames leave in the order they were queued (across priorities). When the event part is full, the oldest frame of
 * the lowest priority below the incoming one is shed (Low, then Normal, then High); an incoming frame that is not
 * more important than anything queued is itself shed; a Critical one that finds only Critical frames overflows.
 *
 * One ring buffer in queue order, with a count per priority on the queue itself: queuing and taking a frame touch
 * the queue and one slot of its ring, nothing else. The fan-out queues a frame on thousands of connections per
 * event and the flush takes it off again, so every object between a connection and its frame is a cache miss per
 * recipient, twice (a ring per priority cost five). Shedding, the rare path, finds its frame by scanning from the
 * head and leaves a hole that `shift` skips.
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
  /** Frames in queue order from `head`, `length` slots long (holes where frames were shed); a power of two long. */
  private ring = NO_RING as (OutboundFrame | undefined)[];
  private head = 0;
  private length = 0;
  private controls = 0;
  /** Queued event frames per priority (their sum is eventCount): what shedding looks at first. */
  private lows = 0;
  private normals = 0;
  private highs = 0;
  private criticals = 0;

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.eventCount + this.controls;
  }

  get eventCount(): number {
    return this.lows + this.normals + this.highs + this.criticals;
  }

  get controlCount(): number {
    return this.controls;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** Queues an event frame. Returns Offer.Queued, Offer.Overflow, or the priority of the frame that was shed. */
  offerEvent(frame: OutboundFrame): number {
    const priority = frame.priority;
    if (this.eventCount < this.capacity) {
      this.append(frame);
      this.countEvent(priority, 1);
      return Offer.Queued;
    }
    const lowest = this.lowestQueuedEventPriority();
    if (lowest < priority) {
      this.recordShed(this.removeOldest(lowest));
      this.countEvent(lowest, -1);
      this.append(frame);
      this.countEvent(priority, 1);
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
    this.append(frame);
    this.controls += 1;
    return true;
  }

  /** The oldest queued frame, or undefined. */
  shift(): OutboundFrame | undefined {
    while (this.length > 0) {
      const frame = this.ring[this.head];
      this.ring[this.head] = undefined; // release the reference now
      this.head = (this.head + 1) & (this.ring.length - 1);
      this.length -= 1;
      if (frame === undefined) continue; // a shed frame's hole
      if (frame.priority === CONTROL_PRIORITY) this.controls -= 1;
      else this.countEvent(frame.priority, -1);
      // A backlog (a slow moment, a burst) should not pin a large ring on the connection forever.
      if (this.length === 0 && this.ring.length > SHRINK_ABOVE_CAPACITY) this.reset();
      return frame;
    }
    return undefined;
  }

  /** Drops everything; returns how many frames were dropped. */
  clear(): number {
    const dropped = this.size;
    this.reset();
    this.controls = 0;
    this.lows = this.normals = this.highs = this.criticals = 0;
    this.shedCount = 0;
    return dropped;
  }

  private append(frame: OutboundFrame): void {
    if (this.length === this.ring.length) this.regrow(Math.max(INITIAL_RING_CAPACITY, this.ring.length * 2));
    this.ring[(this.head + this.length) & (this.ring.length - 1)] = frame;
    this.length += 1;
  }

  /**
   * Takes out the oldest queued event of `priority` (there is one), leaving a hole in its slot; the caller keeps the
   * counts (a shed frame makes room for another).
   */
  private removeOldest(priority: number): OutboundFrame {
    const mask = this.ring.length - 1;
    for (let i = 0; i < this.length; i++) {
      const at = (this.head + i) & mask;
      const frame = this.ring[at];
      if (frame === undefined || frame.priority !== priority) continue;
      this.ring[at] = undefined;
      if (i === 0) this.skipLeadingHoles();
      else if (this.length > 2 * this.size + MAX_HOLES_OVER_FRAMES) this.regrow(this.ring.length);
      return frame;
    }
    throw new Error(`no queued event of priority ${priority}`);
  }

  private skipLeadingHoles(): void {
    const mask = this.ring.length - 1;
    while (this.length > 0 && this.ring[this.head] === undefined) {
      this.head = (this.head + 1) & mask;
      this.length -= 1;
    }
  }

  /** Moves the frames, in order and without holes, into a new ring of `capacity` slots (a power of two). */
  private regrow(capacity: number): void {
    const ring = new Array<OutboundFrame | undefined>(capacity);
    const mask = this.ring.length - 1;
    let length = 0;
    for (let i = 0; i < this.length; i++) {
      const frame = this.ring[(this.head + i) & mask];
      if (frame !== undefined) ring[length++] = frame;
    }
    this.ring = ring;
    this.head = 0;
    this.length = length;
  }

  private reset(): void {
    this.ring = NO_RING as (OutboundFrame | undefined)[];
    this.head = 0;
    this.length = 0;
  }

  private countEvent(priority: number, delta: number): void {
    switch (priority) {
      case EventPriority.Low:
        this.lows += delta;
        break;
      case EventPriority.Normal:
        this.normals += delta;
        break;
      case EventPriority.High:
        this.highs += delta;
        break;
      default:
        this.criticals += delta;
    }
  }

  private lowestQueuedEventPriority(): number {
    if (this.lows > 0) return EventPriority.Low;
    if (this.normals > 0) return EventPriority.Normal;
    if (this.highs > 0) return EventPriority.High;
    if (this.criticals > 0) return EventPriority.Critical;
    return CONTROL_PRIORITY;
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
}
