import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';
import type { Executor } from '../storage/database.types';
import { incidentCreatedAtOf } from '../storage/incident-key';
import type { DomainEvent } from './event.types';

export interface NewLogEntry {
  id: string;
  event: DomainEvent;
  incidentId: string | null;
  /** The created_at of the incident the event concerns (null if none): part of the index key. */
  incidentCreatedAt: string | null;
  createdAt: string;
}

export interface StoredLogEntry {
  sequence: number;
  id: string;
  event_type: string;
  incident_id: string | null;
  created_at: string;
  event: DomainEvent;
}

/** The persistent, append-only event log. `sequence` is assigned by the database. */
@Injectable()
export class EventLogRepository {
  constructor(private readonly database: DatabaseService) {}

  /** Appends entries in order and returns their sequences in the same order. */
  async append(executor: Executor, entries: NewLogEntry[]): Promise<number[]> {
    if (entries.length === 0) return [];
    const rows = await executor
      .insertInto('event_log')
      .values(
        entries.map((e) => ({
          id: e.id,
          event_type: e.event.event_type,
          incident_id: e.incidentId,
          incident_created_at: e.incidentCreatedAt,
          created_at: e.createdAt,
          payload: JSON.stringify(e.event),
        })),
      )
      .returning(['sequence', 'id'])
      .execute();
    const byId = new Map(rows.map((r) => [r.id, Number(r.sequence)]));
    return entries.map((e) => {
      const sequence = byId.get(e.id);
      if (sequence === undefined) throw new Error(`event ${e.id} was not stored`);
      return sequence;
    });
  }

  async list(options: {
    afterSequence?: number;
    incidentId?: string;
    limit: number;
  }): Promise<StoredLogEntry[]> {
    let query = this.database.db
      .selectFrom('event_log')
      .selectAll()
      .orderBy('sequence', 'asc')
      .limit(options.limit);
    if (options.afterSequence !== undefined) query = query.where('sequence', '>', options.afterSequence);
    if (options.incidentId !== undefined) {
      query = query
        .where('incident_created_at', '=', incidentCreatedAtOf(options.incidentId))
        .where('incident_id', '=', options.incidentId);
    }
    const rows = await query.execute();
    return rows.map((r) => ({
      sequence: Number(r.sequence),
      id: r.id,
      event_type: r.event_type,
      incident_id: r.incident_id,
      created_at: r.created_at,
      event: JSON.parse(r.payload) as DomainEvent,
    }));
  }

  async lastSequence(): Promise<number> {
    const row = await this.database.db
      .selectFrom('event_log')
      .select((eb) => eb.fn.max('sequence').as('max'))
      .executeTakeFirst();
    return row?.max == null ? 0 : Number(row.max);
  }
}
