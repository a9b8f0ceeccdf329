import { Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import type { BroadcasterService, PublishSequencer } from '../broadcaster.service';
import type { EventEnvelope } from '../event-envelope';
import type { StoredEventRow } from '../event-log.repository';
import { priorityOf } from '../event-priority';
import type { DomainEvent } from '../event.types';
import { MatchSubjects, matchSubjectsOf } from '../match-subject';

/** What the sequencer reads the other nodes' events from: the event log (EventLogRepository). */
export interface LogReader {
  readRange(after: number, through: number, limit: number): Promise<StoredEventRow[]>;
}

/** What a remote envelope is built from: an event as the log stores it (a row, or the bus's copy of one). */
export type LoggedEvent = Pick<
  StoredEventRow,
  'sequence' | 'id' | 'created_at' | 'payload' | 'match_subjects'
>;

/**
 * An event another node committed, as its announcement carries it: `after` is the sequence that node had delivered
 * just before it, so the event comes next on any node that has delivered through `after` (every sequence between
 * was drawn by a transaction that rolled back).
 */
export interface AnnouncedEvent extends LoggedEvent {
  after: number;
}

export interface SequencerHooks {
  /** An event this node committed was delivered (the bus announces it to the other nodes). */
  localDelivered(envelope: EventEnvelope): void;
  /** An event of another node was delivered here (a metric). */
  remoteDelivered(): void;
}

/** Entries read from the log per query while catching up. */
const PAGE = 500;

/**
 * Delivers every node's events to this node's broadcaster once each, in sequence order (contract section 11).
 *
 * The event log is the source of truth: the bus carries only "sequence S is committed" notifications, and the
 * events of other nodes are read back from the log. `event_log.sequence` is commit-ordered across nodes (the
 * publisher appends under a PostgreSQL advisory lock), so once S is known to be committed, every sequence below it
 * is either in the log already or was drawn by a transaction that rolled back and never will be: reading
 * `(head, S]` and then moving the head to S delivers everything, in order, and cannot stall on a gap.
 *
 * This node's own envelopes come from `local` (in sequence order: the publisher serializes this node's writers).
 * One whose sequence follows the head is delivered at once, in the publishing turn, from memory (with its incident,
 * for the listeners); one that follows a sequence another node committed waits while that range is read from the
 * log. One `catch-up` loop runs at a time; `target` is the highest sequence known to be committed.
 */
export class ClusterSequencer implements PublishSequencer {
  private readonly logger = new Logger('ClusterSequencer');
  /** This node's envelopes waiting for older events of other nodes, oldest first. */
  private readonly waiting: EventEnvelope[] = [];
  private target = 0;
  private running = false;

  constructor(
    private readonly broadcaster: BroadcasterService,
    private readonly log: LogReader,
    private readonly hooks: SequencerHooks,
  ) {}

  local(envelope: EventEnvelope): void {
    if (envelope.sequence <= this.broadcaster.head) {
      // Read back from the log (as another node's) between this node's commit and this call: the clients have it;
      // the listeners, which skip other nodes' events, have not.
      this.broadcaster.deliverToListeners(envelope);
      return;
    }
    if (!this.running && this.waiting.length === 0 && envelope.sequence === this.broadcaster.head + 1) {
      this.broadcaster.deliver(envelope);
      this.hooks.localDelivered(envelope);
      return;
    }
    this.waiting.push(envelope);
    this.kick();
  }

  /** Sequence `sequence` is committed (announced by another node, or the log's head): deliver through it. */
  committed(sequence: number): void {
    if (sequence > this.target) this.target = sequence;
    if (this.target > this.broadcaster.head) this.kick();
  }

  /**
   * Another node's announcement with the events it committed: those that come next here are delivered at once from
   * the message, without a read of the log (a hop less: on a node busy with its fan-out every hop waits for a turn of
   * the event loop). Anything else (this node behind, a catch-up under way, an event of this node waiting) is left
   * to the log: `target` is committed.
   */
  announced(target: number, events: readonly AnnouncedEvent[]): void {
    for (const event of events) {
      if (event.sequence <= this.broadcaster.head) continue;
      if (this.running || this.waiting.length > 0 || event.after !== this.broadcaster.head) break;
      this.broadcaster.deliver(remoteEnvelope(event));
      this.hooks.remoteDelivered();
    }
    this.committed(target);
  }

  /** Whether every sequence known to be committed has been delivered (tests, health). */
  get idle(): boolean {
    return !this.running && this.waiting.length === 0 && this.broadcaster.head >= this.target;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.run().then((failed) => {
      this.running = false;
      // Work that arrived in the microtasks between the loop's end and now. A failed read (the database away) is
      // retried on the next notification or log-head poll instead.
      if (!failed && (this.waiting.length > 0 || this.broadcaster.head < this.target)) this.kick();
    });
  }

  /** Delivers through `target` and this node's waiting envelopes; resolves true when a read failed. */
  private async run(): Promise<boolean> {
    try {
      for (;;) {
        const next = this.waiting[0];
        // Up to just before this node's next envelope, which is committed: so is everything below it.
        const through = next !== undefined ? next.sequence - 1 : this.target;
        const head = this.broadcaster.head;
        if (head < through) {
          const rows = await this.log.readRange(head, through, PAGE);
          for (const row of rows) {
            if (row.sequence > this.broadcaster.head) {
              this.broadcaster.deliver(remoteEnvelope(row));
              this.hooks.remoteDelivered();
            }
          }
          // A full page: more to read. Otherwise the range is read, and what is missing from it rolled back.
          if (rows.length === PAGE) continue;
          this.broadcaster.skipTo(through);
          continue;
        }
        if (next === undefined) return false;
        this.waiting.shift();
        if (next.sequence <= this.broadcaster.head) {
          this.broadcaster.deliverToListeners(next);
        } else {
          this.broadcaster.deliver(next);
          this.hooks.localDelivered(next);
        }
      }
    } catch (error) {
      this.logger.warn(
        `catching up from the event log failed (retried on the next notification): ${error instanceof Error ? error.message : String(error)}`,
      );
      return true;
    }
  }
}

/** Another node's event as read back from the log: no incident (listeners do not see it), the stored subjects. */
export function remoteEnvelope(row: LoggedEvent): EventEnvelope {
  const event = JSON.parse(row.payload) as DomainEvent;
  const subjects: MatchSubjects =
    row.match_subjects !== null
      ? (JSON.parse(row.match_subjects) as MatchSubjects)
      : matchSubjectsOf(event, null, null);
  return {
    id: row.id,
    sequence: row.sequence,
    timestamp: row.created_at,
    event,
    eventJson: row.payload,
    priority: priorityOf(event),
    incident: null,
    previous: null,
    subjects,
    publishedAt: performance.now(),
    remote: true,
  };
}
