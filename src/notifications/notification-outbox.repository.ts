import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';
import type { Executor, NotificationOutboxTable } from '../storage/database.types';

export const OutboxStatus = {
  /** Waiting for its first attempt or for a retry (`next_attempt_at`). */
  Pending: 'pending',
  /** Claimed by a worker (`lease_owner`) until `leased_until`. */
  Delivering: 'delivering',
  Delivered: 'delivered',
  Failed: 'failed',
} as const;
export type OutboxStatus = (typeof OutboxStatus)[keyof typeof OutboxStatus];

/** Rows still to deliver: they count against the queue bound. */
const UNFINISHED: OutboxStatus[] = [OutboxStatus.Pending, OutboxStatus.Delivering];
const FINISHED: OutboxStatus[] = [OutboxStatus.Delivered, OutboxStatus.Failed];

export type OutboxRow = NotificationOutboxTable;

/** What an attempt's outcome changes on its row. */
export type OutboxUpdate = Pick<
  NotificationOutboxTable,
  'status' | 'attempts' | 'next_attempt_at' | 'last_status_code' | 'last_error' | 'updated_at'
> &
  Partial<Pick<NotificationOutboxTable, 'url' | 'headers'>>;

export interface ClaimRequest {
  /** Now (ISO): pending rows due by then and rows whose lease ended by then are claimable. */
  now: string;
  leasedUntil: string;
  owner: string;
  /** Candidates read per round, oldest due first. */
  window: number;
  /** Destinations (URLs) not to claim for: they already use their share of the workers. */
  excludeUrls: string[];
  /** Picks among the candidates, in order (the per-destination share and the free workers). */
  accept: (row: OutboxRow) => boolean;
}

/**
 * The notification outbox (table `notification_outbox`): one row per delivery. A worker claims due rows with a lease
 * (`lease_owner`, `leased_until`); an in-flight row's `next_attempt_at` is its lease end, so that a row whose
 * worker died falls due again through the same (status, next_attempt_at) index.
 */
@Injectable()
export class NotificationOutboxRepository {
  constructor(private readonly database: DatabaseService) {}

  /** True when one process serves the store alone (SQLite): every lease found at start belongs to a dead process. */
  get singleProcess(): boolean {
    return this.database.dialect === 'sqlite';
  }

  async insert(row: OutboxRow): Promise<void> {
    await this.database.db.insertInto('notification_outbox').values(row).execute();
  }

  async get(id: string): Promise<OutboxRow | undefined> {
    return this.database.db
      .selectFrom('notification_outbox')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Rows still to deliver (pending or delivering). */
  async countUnfinished(): Promise<number> {
    const row = await this.database.db
      .selectFrom('notification_outbox')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('status', 'in', UNFINISHED)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }

  /**
   * Claims due rows for `owner` until `leasedUntil` and returns them, with `full` when the window was full (more
   * may be due). The claim re-checks that each row is still due, so a row is never claimed twice: on PostgreSQL the
   * candidates are also locked `FOR UPDATE SKIP LOCKED` in one transaction, so that a second node claiming at the
   * same moment skips them and takes others instead of waiting; SQLite has a single writer.
   */
  async claim(request: ClaimRequest): Promise<{ rows: OutboxRow[]; full: boolean }> {
    const run = async (executor: Executor) => {
      let query = executor
        .selectFrom('notification_outbox')
        .selectAll()
        .where('status', 'in', UNFINISHED)
        .where('next_attempt_at', '<=', request.now)
        .orderBy('next_attempt_at', 'asc')
        .orderBy('created_at', 'asc')
        .limit(request.window);
      if (request.excludeUrls.length > 0) query = query.where('url', 'not in', request.excludeUrls);
      if (this.database.dialect === 'postgres') query = query.forUpdate().skipLocked();
      const candidates = await query.execute();
      const chosen = candidates.filter((row) => request.accept(row)).map((row) => row.id);
      if (chosen.length === 0) return { rows: [], full: candidates.length >= request.window };
      const claimed = await executor
        .updateTable('notification_outbox')
        .set({
          status: OutboxStatus.Delivering,
          lease_owner: request.owner,
          leased_until: request.leasedUntil,
          next_attempt_at: request.leasedUntil,
          updated_at: request.now,
        })
        .where('id', 'in', chosen)
        .where('status', 'in', UNFINISHED)
        .where('next_attempt_at', '<=', request.now)
        .returningAll()
        .execute();
      // In the order they were due (RETURNING keeps no order).
      const order = new Map(chosen.map((id, index) => [id, index]));
      claimed.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
      return { rows: claimed, full: candidates.length >= request.window };
    };
    if (this.database.dialect === 'postgres') {
      return this.database.db.transaction().execute(run);
    }
    return run(this.database.db);
  }

  /** Records an attempt's outcome on a row this owner holds; false when it no longer holds it (lease lost). */
  async finish(
    id: string,
    owner: string,
    update: OutboxUpdate,
    executor: Executor = this.database.db,
  ): Promise<boolean> {
    const result = await executor
      .updateTable('notification_outbox')
      .set({ ...update, lease_owner: null, leased_until: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', OutboxStatus.Delivering)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Puts a claimed row back, due at `now`, with its attempt count unchanged (an attempt cut by shutdown). */
  async release(id: string, owner: string, now: string): Promise<void> {
    await this.database.db
      .updateTable('notification_outbox')
      .set({
        status: OutboxStatus.Pending,
        next_attempt_at: now,
        lease_owner: null,
        leased_until: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', '=', OutboxStatus.Delivering)
      .execute();
  }

  /**
   * Puts back every claimed row, whoever holds it: only for a store one process serves alone (SQLite), at start,
   * when every lease in it belongs to a process that is gone. Returns how many.
   */
  async releaseAll(now: string): Promise<number> {
    const result = await this.database.db
      .updateTable('notification_outbox')
      .set({
        status: OutboxStatus.Pending,
        next_attempt_at: now,
        lease_owner: null,
        leased_until: null,
        updated_at: now,
      })
      .where('status', '=', OutboxStatus.Delivering)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** The earliest instant a row falls due (a pending row's next attempt, a claimed row's lease end), or null. */
  async nextDueAt(): Promise<string | null> {
    const row = await this.database.db
      .selectFrom('notification_outbox')
      .select((eb) => eb.fn.min('next_attempt_at').as('due'))
      .where('status', 'in', UNFINISHED)
      .executeTakeFirst();
    return row?.due ?? null;
  }

  /** Deletes rows that finished (delivered or failed) before `before`. */
  async pruneFinished(before: string): Promise<number> {
    const result = await this.database.db
      .deleteFrom('notification_outbox')
      .where('status', 'in', FINISHED)
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
