import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';
import type { Executor } from '../storage/database.types';
import { incidentCreatedAtOf } from '../storage/incident-key';
import { PrecompiledQuery } from '../storage/precompiled-query';
import type { DomainEvent } from './event.types';

export interface NewLogEntry {
  id: string;
  event: DomainEvent;
  /** `event` as JSON: serialized once by the publisher, stored here and sent as is in every WebSocket frame. */
  payload: string;
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

type AppendStatement = PrecompiledQuery<{ sequence: number; id: string }, string>;

/** Distinct batch sizes whose append statement is kept compiled. */
const MAX_CACHED_APPEND_STATEMENTS = 512;

/** The persistent, append-only event log. `sequence` is assigned by the database. */
@Injectable()
export class EventLogRepository {
  private readonly appendStatements = new Map<number, AppendStatement>();

  constructor(private readonly database: DatabaseService) {}

  /** Appends entries in order and returns their sequences in the same order. */
  async append(executor: Executor, entries: NewLogEntry[]): Promise<number[]> {
    if (entries.length === 0) return [];
    const values: Record<string, unknown> = {};
    entries.forEach((e, i) => {
      values[`id${i}`] = e.id;
      values[`event_type${i}`] = e.event.event_type;
      values[`incident_id${i}`] = e.incidentId;
      values[`incident_created_at${i}`] = e.incidentCreatedAt;
      values[`created_at${i}`] = e.createdAt;
      values[`payload${i}`] = e.payload;
    });
    const { rows } = await this.appendStatement(entries.length).run(executor, values);
    const byId = new Map(rows.map((r) => [r.id, Number(r.sequence)]));
    return entries.map((e) => {
      const sequence = byId.get(e.id);
      if (sequence === undefined) throw new Error(`event ${e.id} was not stored`);
      return sequence;
    });
  }

  /** The multi-row insert of `count` entries, compiled once per count (a group commit appends up to a few hundred). */
  private appendStatement(count: number): AppendStatement {
    let statement = this.appendStatements.get(count);
    if (statement === undefined) {
      statement = PrecompiledQuery.build((slot) =>
        this.database.db
          .insertInto('event_log')
          .values(
            Array.from({ length: count }, (_, i) => ({
              id: slot(`id${i}`),
              event_type: slot(`event_type${i}`),
              incident_id: slot(`incident_id${i}`),
              incident_created_at: slot(`incident_created_at${i}`),
              created_at: slot(`created_at${i}`),
              payload: slot(`payload${i}`),
            })),
          )
          .returning(['sequence', 'id'])
          .compile(),
      );
      if (this.appendStatements.size < MAX_CACHED_APPEND_STATEMENTS)
        this.appendStatements.set(count, statement);
    }
    return statement;
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
