import type { Kysely } from 'kysely';
import type { Incident } from '../domain';
import { responseTimes } from '../incidents/response-times';
import type { Database } from './database.types';

/** Incidents read per step. */
const PAGE = 500;

/**
 * Migration 0011: every incident stored before gets its `acknowledged_at` and `first_resolved_at` from its timeline,
 * as every later write derives them (incidents/response-times.ts). Only rows with one of them are rewritten.
 */
export async function backfillResponseTimes(db: Kysely<Database>): Promise<void> {
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('incidents')
      .select(['id', 'document'])
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      // A document without a timeline (none is written so, but a hand-made row may be) has neither.
      const { timeline } = JSON.parse(row.document) as Partial<Incident>;
      const times = responseTimes({ timeline: Array.isArray(timeline) ? timeline : [] });
      if (times.acknowledged_at === null && times.first_resolved_at === null) continue;
      await db.updateTable('incidents').set(times).where('id', '=', row.id).execute();
    }
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].id;
  }
}
