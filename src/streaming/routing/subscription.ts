import type { EventType } from '../../events/event.types';
import type { MatchSubjects } from '../../events/match-subject';
import type { SubscriptionFilter } from './subscription-filter';

/**
 * One subscription of a connection: its filters and the range of the log it has delivered (or is delivering),
 * which is what keeps a replay from sending an event twice (see `covers`). A subscription covers the events after
 * `liveFrom` (the log's head when it was routed) until it ends, and, when it resumed, the part of the log after
 * `replayFrom` its replay has gone through. A resumed subscription is routed (goes live) only once its replay has
 * caught up with the head: until then `liveFrom` is infinite and it is not in the routing table.
 */
export class Subscription {
  /** The last sequence its replay has gone through (`replayFrom` until it starts; `liveFrom` once complete). */
  replayedTo: number;
  /** The log's head when it was replaced or removed; it covers no later event. */
  liveTo = Number.POSITIVE_INFINITY;

  constructor(
    readonly id: string,
    readonly filter: SubscriptionFilter,
    /** The log's head when it was routed: its live events are the ones after it (infinite until then). */
    public liveFrom: number,
    /** The `resume_from` it replays after; `liveFrom` when it does not resume. */
    readonly replayFrom: number = liveFrom,
  ) {
    this.replayedTo = replayFrom;
  }

  /** Whether this subscription delivered (or is due to deliver) the event with this sequence. */
  covers(sequence: number, type: EventType, subjects: MatchSubjects): boolean {
    const inRange =
      (sequence > this.liveFrom && sequence <= this.liveTo) ||
      (sequence > this.replayFrom && sequence <= this.replayedTo);
    return inRange && this.filter.acceptsType(type) && this.filter.matchesEvent(subjects);
  }

  /** Whether it is in the routing table. */
  get isLive(): boolean {
    return this.liveFrom !== Number.POSITIVE_INFINITY;
  }

  /** Routed now, with everything up to `head` replayed: its live events are the ones after it. */
  goLive(head: number): void {
    this.liveFrom = head;
  }

  /** Stops covering events after `head` (replaced or removed). */
  end(head: number): void {
    this.liveTo = head;
  }
}
