import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';

/** A log entry as the pruner sees it: its key and when it was stored. */
export interface AgedEntry {
  sequence: number;
  created_at: string;
}

/** The stored range of the event log; `oldest` is null when the log is empty (then `head` is 0). */
export interface LogBounds {
  oldest: number | null;
  head: number;
}

/**
 * The queries of event log retention. Every one goes by the primary key (`sequence`), so none needs an index on
 * `created_at`, and none costs more with a longer log.
 */
@Injectable()
export class EventLogRetentionRepository {
  constructor(private readonly database: DatabaseService) {}

  /** The smallest stored sequence, or null when the log is empty. */
  async oldestSequence(): Promise<number | null> {
    const row = await this.database.db
      .selectFrom('event_log')
      .select('sequence')
      .orderBy('sequence', 'asc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : Number(row.sequence);
  }

  /** The greatest stored sequence (the head of the log), or 0 when the log is empty. */
  async headSequence(): Promise<number> {
    const row = await this.database.db
      .selectFrom('event_log')
      .select('sequence')
      .orderBy('sequence', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? 0 : Number(row.sequence);
  }

  /** Both ends of the log in one statement: on PostgreSQL, one snapshot. */
  async bounds(): Promise<LogBounds> {
    const row = await this.database.db
      .selectNoFrom((eb) => [
        eb.selectFrom('event_log').select('sequence').orderBy('sequence', 'asc').limit(1).as('oldest'),
        eb.selectFrom('event_log').select('sequence').orderBy('sequence', 'desc').limit(1).as('head'),
      ])
      .executeTakeFirstOrThrow();
    return { oldest: row.oldest === null ? null : Number(row.oldest), head: Number(row.head ?? 0) };
  }

  /** The oldest entries with a sequence below `before`, oldest first, at most `limit`. */
  async oldestEntries(before: number, limit: number): Promise<AgedEntry[]> {
    const rows = await this.database.db
      .selectFrom('event_log')
      .select(['sequence', 'created_at'])
      .where('sequence', '<', before)
      .orderBy('sequence', 'asc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ sequence: Number(r.sequence), created_at: r.created_at }));
  }

  /** Deletes the entries with `from <= sequence <= through`; returns how many there were. */
  async deleteRange(from: number, through: number): Promise<number> {
    const result = await this.database.db
      .deleteFrom('event_log')
      .where('sequence', '>=', from)
      .where('sequence', '<=', through)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
