import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { DatabaseService } from '../storage/database.service';

/**
 * The PostgreSQL advisory lock key of event log pruning (an arbitrary constant that nothing else locks): held by the
 * node pruning, so that with several nodes on one database one prunes at a time and the others skip the round.
 */
export const PRUNE_LOCK_KEY = 7212004017550923602n;

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

  /**
   * Runs `work` unless another node is pruning: on PostgreSQL under the session advisory lock PRUNE_LOCK_KEY, taken
   * with `pg_try_advisory_lock` on a connection held for the round (released after it, or by the server if the node
   * dies with it), and resolves undefined without running `work` when another session holds it. SQLite: one process
   * serves the file, `work` always runs.
   */
  async exclusively<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (this.database.dialect !== 'postgres') return work();
    return this.database.db.connection().execute(async (connection) => {
      const { rows } = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_lock(${PRUNE_LOCK_KEY.toString()}::bigint) as locked`.execute(connection);
      if (!rows[0]?.locked) return undefined;
      try {
        return await work();
      } finally {
        await sql`select pg_advisory_unlock(${PRUNE_LOCK_KEY.toString()}::bigint)`.execute(connection);
      }
    });
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
