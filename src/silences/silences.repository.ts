import { Injectable } from '@nestjs/common';
import type { LabelMatcher } from '../common/label-matchers';
import { DatabaseService } from '../storage/database.service';
import type { SilencesTable } from '../storage/database.types';
import { Silence, SilenceStatus } from './silence';

/** The `silences` table (migration 0008). Instants are stored as `Date.toISOString` text, so they compare as text. */
@Injectable()
export class SilencesRepository {
  constructor(private readonly database: DatabaseService) {}

  async insert(silence: Silence): Promise<void> {
    await this.database.db.insertInto('silences').values(toRow(silence)).execute();
  }

  /** Writes the silence's times back (expiring it). */
  async updateTimes(silence: Silence): Promise<void> {
    await this.database.db
      .updateTable('silences')
      .set({ starts_at: silence.starts_at, ends_at: silence.ends_at, updated_at: silence.updated_at })
      .where('id', '=', silence.id)
      .execute();
  }

  async find(id: string): Promise<Silence | undefined> {
    const row = await this.database.db
      .selectFrom('silences')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  /** Newest first; with a status, only the silences that have it at `now`. */
  async list(status: SilenceStatus | undefined, now: string): Promise<Silence[]> {
    let query = this.database.db.selectFrom('silences').selectAll();
    switch (status) {
      case undefined:
        break;
      case SilenceStatus.Pending:
        query = query.where('starts_at', '>', now).where('ends_at', '>', now);
        break;
      case SilenceStatus.Active:
        query = query.where('starts_at', '<=', now).where('ends_at', '>', now);
        break;
      case SilenceStatus.Expired:
        query = query.where('ends_at', '<=', now);
        break;
    }
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(fromRow);
  }

  /** The silences not expired at `now` (pending or active), oldest first. */
  async unexpired(now: string): Promise<Silence[]> {
    const rows = await this.database.db
      .selectFrom('silences')
      .selectAll()
      .where('ends_at', '>', now)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(fromRow);
  }
}

function toRow(silence: Silence): SilencesTable {
  return {
    id: silence.id,
    matchers: JSON.stringify(silence.matchers),
    starts_at: silence.starts_at,
    ends_at: silence.ends_at,
    created_by: silence.created_by,
    comment: silence.comment,
    created_at: silence.created_at,
    updated_at: silence.updated_at,
  };
}

function fromRow(row: SilencesTable): Silence {
  return {
    id: row.id,
    matchers: JSON.parse(row.matchers) as LabelMatcher[],
    starts_at: row.starts_at,
    ends_at: row.ends_at,
    created_by: row.created_by,
    comment: row.comment,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}
