import type { Incident } from '../domain';
import type { EventPriority } from './event-priority';
import type { DomainEvent } from './event.types';
import type { MatchSubjects } from './match-subject';

/**
 * One published event. `sequence` is its position in the persistent event log; `incident` is the incident the
 * event concerns as it is after the change (the streaming filter matches incident-scoped events against it), or
 * null for events that concern no incident.
 */
export interface EventEnvelope {
  readonly id: string;
  readonly sequence: number;
  readonly timestamp: string;
  readonly event: DomainEvent;
  /** `event` as stored in the event log (JSON); frames embed it rather than serializing the event again. */
  readonly eventJson: string;
  readonly priority: EventPriority;
  readonly incident: Incident | null;
  /** The incident as it was before the change, for changes that can move it out of a filtered view; else null. */
  readonly previous: Incident | null;
  /** What subscription filters match this event against (also stored in the log, for replays). */
  readonly subjects: MatchSubjects;
  /** performance.now() when the event was handed to the broadcaster; the latency histogram starts here. */
  readonly publishedAt: number;
  /**
   * True for an event committed by another node and read back from the log here (REDIS_URL, contract section 11):
   * `incident` and `previous` are then null. Absent for the events this node committed. Internal listeners act on
   * this node's events only (`BroadcasterService.listen`), so that each reaction happens once per cluster.
   */
  readonly remote?: true;
}
