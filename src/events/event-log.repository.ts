import { Injectable } from '@nestjs/common';
import type { IncidentConstraint } from '../common/incident-constraint';
import type { Incident } from '../domain';
import { DatabaseService } from '../storage/database.service';
import type { Executor } from '../storage/database.types';
import { incidentCreatedAtOf } from '../storage/incident-key';
import { PrecompiledQuery, slotRow } from '../storage/precompiled-query';
import type { DomainEvent } from './event.types';

export interface NewLogEntry {
  id: string;
  event: DomainEvent;
  /** `event` as JSON: serialized once by the publisher, stored here and sent as is in every WebSocket frame. */
  payload: string;
  /** The event's MatchSubjects as JSON (what a replay matches against). */
  matchSubjects: string;
  incidentId: string | null;
  /** The created_at of the incident the event concerns (null if none): part of the index key. */
  incidentCreatedAt: string | null;
  createdAt: string;
}

/** A log entry with the current state of the incident it concerns (null: none, or not stored). */
export interface EntryWithIncident {
  entry: StoredLogEntry;
  incident: Incident | null;
}

export interface StoredLogEntry {
  sequence: number;
  id: string;
  event_type: string;
  incident_id: string | null;
  created_at: string;
  event: DomainEvent;
}

/** An entry as stored, for a replay. */
export interface StoredEventRow {
  sequence: number;
  id: string;
  event_type: string;
  incident_id: string | null;
  created_at: string;
  /** The event's JSON. */
  payload: string;
  /** Its MatchSubjects as JSON; null for entries stored before migration 0006. */
  match_subjects: string | null;
}

type AppendStatement = PrecompiledQuery<{ sequence: number; id: string }, string>;

/** The columns of an appended entry, in the order `append` gives their values. */
const APPEND_COLUMNS = [
  'id',
  'event_type',
  'incident_id',
  'incident_created_at',
  'created_at',
  'payload',
  'match_subjects',
] as const;
type AppendColumn = (typeof APPEND_COLUMNS)[number];

/** Distinct batch sizes whose append statement is kept compiled. */
const MAX_CACHED_APPEND_STATEMENTS = 512;

/** The persistent, append-only event log. `sequence` is assigned by the database. */
@Injectable()
export class EventLogRepository {
  private readonly appendStatements = new Map<number, AppendStatement>();
  /** A replay reads pages back to back: compiled once (see PrecompiledQuery). */
  private rangeStatement: PrecompiledQuery<StoredEventRow, 'after' | 'through' | 'limit'> | null = null;

  constructor(private readonly database: DatabaseService) {}

  /** Appends entries in order and returns their sequences in the same order. */
  async append(executor: Executor, entries: NewLogEntry[]): Promise<number[]> {
    if (entries.length === 0) return [];
    const parameters: unknown[] = [];
    for (const e of entries) {
      // In APPEND_COLUMNS order, row after row: the statement's parameter order (checked when it is built).
      parameters.push(
        e.id,
        e.event.event_type,
        e.incidentId,
        e.incidentCreatedAt,
        e.createdAt,
        e.payload,
        e.matchSubjects,
      );
    }
    const { rows } = await this.appendStatement(entries.length).runInOrder(executor, parameters);
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
      const slotName = (row: number, column: AppendColumn): string => `${row}:${column}`;
      statement = PrecompiledQuery.build<{ sequence: number; id: string }, string>(
        (slot) =>
          this.database.db
            .insertInto('event_log')
            .values(
              Array.from({ length: count }, (_, row) =>
                slotRow(APPEND_COLUMNS, (column) => slot(slotName(row, column))),
              ),
            )
            .returning(['sequence', 'id'])
            .compile(),
        this.database.directStatements,
      );
      const expected = Array.from({ length: count }, (_, row) =>
        APPEND_COLUMNS.map((c) => slotName(row, c)),
      ).flat();
      if (statement.parameterNames.join() !== expected.join()) {
        throw new Error('event_log insert: parameters not in row-major column order');
      }
      if (this.appendStatements.size < MAX_CACHED_APPEND_STATEMENTS) {
        this.appendStatements.set(count, statement);
      }
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

  /**
   * Like `list`, each entry with its incident as it is now (a join on the incidents table), for a constrained
   * reader: the constraint's event types and its keys that are incident columns narrow the rows in SQL (entries
   * without an incident pass those, the caller decides); labels and affected resources are left to the caller.
   */
  async listWithIncidents(options: {
    afterSequence: number;
    incidentId?: string;
    limit: number;
    constraint: IncidentConstraint;
  }): Promise<EntryWithIncident[]> {
    const c = options.constraint;
    let query = this.database.db
      .selectFrom('event_log')
      .leftJoin('incidents', 'incidents.id', 'event_log.incident_id')
      .selectAll('event_log')
      .select('incidents.document as incident_document')
      .where('event_log.sequence', '>', options.afterSequence)
      .orderBy('event_log.sequence', 'asc')
      .limit(options.limit);
    if (options.incidentId !== undefined) {
      query = query
        .where('event_log.incident_created_at', '=', incidentCreatedAtOf(options.incidentId))
        .where('event_log.incident_id', '=', options.incidentId);
    }
    if (c.event_types?.length) query = query.where('event_log.event_type', 'in', c.event_types);
    const ids = c.incident_ids?.map((id) => id.toLowerCase()) ?? [];
    if (c.severities?.length || c.states?.length || c.sources?.length || ids.length > 0) {
      query = query.where((eb) =>
        eb.or([
          eb('event_log.incident_id', 'is', null),
          eb.and([
            ...(c.severities?.length ? [eb('incidents.severity', 'in', c.severities)] : []),
            ...(c.states?.length ? [eb('incidents.state', 'in', c.states)] : []),
            ...(c.sources?.length ? [eb('incidents.source', 'in', c.sources)] : []),
            ...(ids.length > 0 ? [eb('incidents.id', 'in', ids)] : []),
          ]),
        ]),
      );
    }
    const rows = await query.execute();
    return rows.map((r) => ({
      entry: {
        sequence: Number(r.sequence),
        id: r.id,
        event_type: r.event_type,
        incident_id: r.incident_id,
        created_at: r.created_at,
        event: JSON.parse(r.payload) as DomainEvent,
      },
      incident: r.incident_document === null ? null : (JSON.parse(r.incident_document) as Incident),
    }));
  }

  /**
   * The incident as it is now, for a constrained reader of its log (whether it may see it). Read here rather than
   * through IncidentsService, which depends on this module's publisher.
   */
  async incident(id: string): Promise<Incident | undefined> {
    const row = await this.database.db
      .selectFrom('incidents')
      .select('document')
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.document) as Incident) : undefined;
  }

  /**
   * Entries with `after < sequence <= through`, oldest first, at most `limit`, as stored (a replay embeds the
   * payload as is and matches the stored subjects, parsing neither more than it must).
   */
  async readRange(after: number, through: number, limit: number): Promise<StoredEventRow[]> {
    this.rangeStatement ??= PrecompiledQuery.build<StoredEventRow, 'after' | 'through' | 'limit'>((slot) =>
      this.database.db
        .selectFrom('event_log')
        .select(['sequence', 'id', 'event_type', 'incident_id', 'created_at', 'payload', 'match_subjects'])
        .where('sequence', '>', slot('after') as unknown as number)
        .where('sequence', '<=', slot('through') as unknown as number)
        .orderBy('sequence', 'asc')
        .limit(slot('limit') as unknown as number)
        .compile(),
    );
    const { rows } = await this.rangeStatement.run(this.database.db, { after, through, limit });
    // PostgreSQL returns a bigint column as text.
    if (rows.length > 0 && typeof rows[0].sequence !== 'number') {
      for (const row of rows) row.sequence = Number(row.sequence);
    }
    return rows;
  }

  /** The smallest stored sequence, or null when the log is empty. */
  /** The greatest stored sequence (0: the log is empty), as `executor` sees it (a transaction's own snapshot). */
  async headSequence(executor: Executor): Promise<number> {
    const row = await executor
      .selectFrom('event_log')
      .select('sequence')
      .orderBy('sequence', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? 0 : Number(row.sequence);
  }

  async oldestSequence(): Promise<number | null> {
    const row = await this.database.db
      .selectFrom('event_log')
      .select('sequence')
      .orderBy('sequence', 'asc')
      .limit(1)
      .executeTakeFirst();
    return row === undefined ? null : Number(row.sequence);
  }

  async lastSequence(): Promise<number> {
    const row = await this.database.db
      .selectFrom('event_log')
      .select((eb) => eb.fn.max('sequence').as('max'))
      .executeTakeFirst();
    return Number(row?.max ?? 0);
  }
}
