import { Injectable } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { EventLogRepository } from '../../events/event-log.repository';
import type { EventType } from '../../events/event.types';
import type { MatchSubjects } from '../../events/match-subject';
import {
  REPLAY_HIGH_WATER_BYTES,
  SOCKET_HIGH_WATER_BYTES,
  type StreamConnection,
} from '../connections/stream-connection';
import type { Subscription } from '../routing/subscription';
import { ServerMessageType } from '../protocol/stream-protocol';
import { StreamMetrics } from '../stream-metrics';
import { storedEventFrame, subjectsOfStored } from './stored-event';

/** Entries read per query: large enough to stream fast, small enough that one read is a short pause. */
export const REPLAY_PAGE_SIZE = 500;
/**
 * How long a replay works before it lets the event loop turn (other connections' deliveries, requests): pages are
 * read, matched and written back to back within a slice while the peer keeps taking them.
 */
export const REPLAY_SLICE_MS = 4;

/**
 * Sends a resumed subscription the stored events it missed: the entries in `(replayedTo, position]` that match it
 * and that this connection has not been sent already (through another subscription, an ended one, or an earlier
 * replay), in order. The log is read in pages with a turn of the event loop between them, and the replay only
 * queues what the connection's send queue has room for, waiting for the socket to drain otherwise: a client
 * replaying a large backlog costs the others short slices of the loop, never a stall, and its memory stays at one
 * page plus one queue.
 */
@Injectable()
export class ReplayService {
  constructor(
    private readonly log: EventLogRepository,
    private readonly metrics: StreamMetrics,
  ) {}

  /** Replays up to `position`; returns how many events were sent (0 if the connection or subscription ended). */
  async replay(connection: StreamConnection, subscription: Subscription, position: number): Promise<number> {
    const capacity = connection.queue.capacity;
    const filter = subscription.filter;
    const room = Math.max(1, Math.floor(capacity / 2));
    let cursor = subscription.replayedTo;
    let replayed = 0;
    let sliceStart = performance.now();
    connection.highWaterBytes = REPLAY_HIGH_WATER_BYTES;
    try {
      while (cursor < position && this.stillWanted(connection, subscription)) {
        // Wait for the queue to drain below half before reading on, so a page does not wait in memory for long.
        await connection.whenQueueBelow(room);
        if (!this.stillWanted(connection, subscription)) break;
        const rows = await this.log.readRange(cursor, position, Math.min(REPLAY_PAGE_SIZE, capacity));
        if (rows.length === 0) break;
        if (rows[0].sequence > cursor + 1) await this.reportPruned(connection, cursor, rows[0].sequence);
        // The stored subjects are parsed only when something asks about them: this filter, or another subscription
        // of the connection that may have delivered the event already.
        const needsSubjects =
          !filter.ignoresSubject || connection.subscriptions.size > 1 || connection.retired !== null;
        for (const row of rows) {
          const type = row.event_type as EventType;
          if (filter.acceptsType(type)) {
            const subjects = needsSubjects ? subjectsOfStored(row) : null;
            if (
              subjects === null ||
              (filter.matchesEvent(subjects) &&
                !deliveredBefore(connection, subscription, row.sequence, type, subjects))
            ) {
              if (connection.queue.eventCount >= capacity) {
                connection.flushNow();
                await connection.whenQueueBelow(room);
              }
              if (!this.stillWanted(connection, subscription)) break;
              connection.deliverReplayed(storedEventFrame(row));
              connection.queue.shedLog?.delete(row.sequence);
              replayed += 1;
            }
          }
          cursor = row.sequence;
          subscription.replayedTo = cursor;
        }
        connection.flushNow();
        if (performance.now() - sliceStart >= REPLAY_SLICE_MS) {
          await nextTurn();
          sliceStart = performance.now();
        }
      }
    } finally {
      connection.highWaterBytes = SOCKET_HIGH_WATER_BYTES;
    }
    // Ended without being cut short: every entry up to the position was considered (the last ones may not exist).
    if (this.stillWanted(connection, subscription)) subscription.replayedTo = position;
    this.metrics.eventsReplayed(replayed);
    return replayed;
  }

  /**
   * Sequences are missing before the page just read: numbers never used (a rolled-back write on PostgreSQL), or
   * entries retention pruned while this replay ran. Only the latter is a loss; it is reported as a `gap` (its
   * `dropped` counts the whole range: how many of those matched is unknown once they are gone).
   */
  private async reportPruned(connection: StreamConnection, cursor: number, next: number): Promise<void> {
    const oldest = await this.log.oldestSequence();
    if (oldest === null || oldest <= cursor + 1) return;
    const to = Math.min(oldest, next) - 1;
    connection.reply({
      type: ServerMessageType.Gap,
      from_sequence: cursor + 1,
      to_sequence: to,
      dropped: to - cursor,
    });
  }

  private stillWanted(connection: StreamConnection, subscription: Subscription): boolean {
    return connection.isOpen && connection.subscriptions.get(subscription.id) === subscription;
  }
}

/**
 * Whether the connection was already sent this event (or has it queued or held): another of its subscriptions, a
 * subscription it had before, or an earlier replay covers it, and its queue did not shed it.
 */
function deliveredBefore(
  connection: StreamConnection,
  replaying: Subscription,
  sequence: number,
  type: EventType,
  subjects: MatchSubjects,
): boolean {
  if (connection.queue.shedLog?.has(sequence) === true) return false;
  for (const other of connection.subscriptions.values()) {
    if (other !== replaying && other.covers(sequence, type, subjects)) return true;
  }
  for (const ended of connection.retired ?? []) {
    if (ended.covers(sequence, type, subjects)) return true;
  }
  return false;
}
