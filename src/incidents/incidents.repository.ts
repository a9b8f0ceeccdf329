import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { IncidentConstraint } from '../common/incident-constraint';
import { ACTIVE_STATES, Incident, IncidentState, Severity } from '../domain';
import { DatabaseService } from '../storage/database.service';
import type { Executor } from '../storage/database.types';
import { PrecompiledQuery, slotRow } from '../storage/precompiled-query';
import { lastAlertAt } from './last-alert-at';
import { responseTimes } from './response-times';

export interface IncidentQuery {
  page: number;
  pageSize: number;
  activeOnly: boolean;
  states: IncidentState[];
  severities: Severity[];
  sources: string[];
  /**
   * A credential's constraint: its severities, states, sources and incident ids become SQL conditions (AND-ed with
   * the query's own); labels and affected resources live inside the JSON document, so the caller matches those.
   */
  constraint?: IncidentConstraint;
}

/** Where a scan (newest first) stopped: the last incident it returned. */
export interface ScanCursor {
  createdAt: string;
  id: string;
}

/** Incidents are stored as a JSON document plus the columns we filter and sort on. */
@Injectable()
export class IncidentsRepository {
  // The statements of the alert path, compiled once (see PrecompiledQuery).
  private readonly insertRow: PrecompiledQuery<unknown, IncidentColumn>;
  private readonly updateRow: PrecompiledQuery<unknown, IncidentColumn>;
  private readonly activeByFingerprint: PrecompiledQuery<{ document: string }, 'fingerprint' | 'since'>;

  constructor(private readonly database: DatabaseService) {
    const db = database.db;
    this.insertRow = PrecompiledQuery.build(
      (slot) => db.insertInto('incidents').values(slotRow(INCIDENT_COLUMNS, slot)).compile(),
      database.directStatements,
    );
    this.updateRow = PrecompiledQuery.build(
      (slot) =>
        db
          .updateTable('incidents')
          .set(
            slotRow(
              INCIDENT_COLUMNS.filter((c) => c !== 'id'),
              slot,
            ),
          )
          .where('id', '=', slot('id'))
          .compile(),
      database.directStatements,
    );
    // The sliding deduplication window (contract section 9): an active incident whose last alert arrived at or
    // after `since`, found through incidents_dedup (fingerprint, last_alert_at).
    this.activeByFingerprint = PrecompiledQuery.build(
      (slot) =>
        db
          .selectFrom('incidents')
          .select('document')
          .where('fingerprint', '=', slot('fingerprint'))
          .where('last_alert_at', '>=', slot('since'))
          // Constants written into the SQL: SQLite runs this about 6 µs faster than with them bound as parameters.
          .where(
            'state',
            'in',
            ACTIVE_STATES.map((state) => sql.lit(state)),
          )
          .orderBy('last_alert_at', 'desc')
          .limit(sql.lit(1))
          .compile(),
      database.directStatements,
    );
  }

  async insert(executor: Executor, incident: Incident): Promise<void> {
    await this.insertRow.run(executor, toRow(incident));
  }

  async update(executor: Executor, incident: Incident): Promise<void> {
    await this.updateRow.run(executor, toRow(incident));
  }

  async findById(executor: Executor, id: string): Promise<Incident | undefined> {
    const row = await executor
      .selectFrom('incidents')
      .select('document')
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.document) as Incident) : undefined;
  }

  /** Reads outside any unit of work. */
  get(id: string): Promise<Incident | undefined> {
    return this.findById(this.database.db, id);
  }

  /** The active incident with this fingerprint whose last alert arrived at or after `lastAlertSince` (the latest). */
  async findActiveByFingerprint(
    executor: Executor,
    fingerprint: string,
    lastAlertSince: string,
  ): Promise<Incident | undefined> {
    const { rows } = await this.activeByFingerprint.run(executor, { fingerprint, since: lastAlertSince });
    return rows.length > 0 ? (JSON.parse(rows[0].document) as Incident) : undefined;
  }

  async list(query: IncidentQuery): Promise<{ incidents: Incident[]; total: number }> {
    const base = this.filtered(query);
    const [rows, count] = await Promise.all([
      base
        .select('document')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.pageSize)
        .offset(query.page * query.pageSize)
        .execute(),
      base.select((eb) => eb.fn.countAll().as('total')).executeTakeFirstOrThrow(),
    ]);
    return {
      incidents: rows.map((r) => JSON.parse(r.document) as Incident),
      total: Number(count.total),
    };
  }

  /**
   * Up to `limit` incidents matching the query's filters (page and pageSize ignored), newest first, after
   * `cursor`: a keyset scan, so incidents created meanwhile neither repeat nor shift the ones still to come.
   */
  async scan(
    query: IncidentQuery,
    cursor: ScanCursor | null,
    limit: number,
    executor: Executor = this.database.db,
  ): Promise<Incident[]> {
    let select = this.filtered(query, executor);
    if (cursor !== null) {
      select = select.where((eb) =>
        eb.or([
          eb('created_at', '<', cursor.createdAt),
          eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)]),
        ]),
      );
    }
    const rows = await select
      .select('document')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => JSON.parse(r.document) as Incident);
  }

  private filtered(query: IncidentQuery, executor: Executor = this.database.db) {
    let base = executor.selectFrom('incidents');
    if (query.activeOnly) base = base.where('state', 'in', ACTIVE_STATES);
    if (query.states.length > 0) base = base.where('state', 'in', query.states);
    if (query.severities.length > 0) base = base.where('severity', 'in', query.severities);
    if (query.sources.length > 0) base = base.where('source', 'in', query.sources);
    const c = query.constraint;
    if (c !== undefined) {
      if (c.states?.length) base = base.where('state', 'in', c.states);
      if (c.severities?.length) base = base.where('severity', 'in', c.severities);
      if (c.sources?.length) base = base.where('source', 'in', c.sources);
      // Ids are stored lowercase; a constraint may spell them in any case.
      if (c.incident_ids?.length) {
        base = base.where(
          'id',
          'in',
          c.incident_ids.map((id) => id.toLowerCase()),
        );
      }
    }
    return base;
  }

  /**
   * The incidents whose acknowledgement (or first resolution) falls between `from` and `to` (inclusive), read through
   * the column's index, inside the constraint's SQL conditions; with `withDocument` their documents too, for the
   * caller to match what SQL does not.
   */
  async responseSamples(
    column: ResponseColumn,
    from: string,
    to: string,
    constraint: IncidentConstraint | null,
    withDocument: boolean,
  ): Promise<ResponseSample[]> {
    let select = this.filtered(anyIncident(constraint))
      .select((eb) => ['severity', 'created_at', eb.ref(column).$notNull().as('at')])
      .where(column, '>=', from)
      .where(column, '<=', to);
    if (withDocument) select = select.select('document');
    return select.execute();
  }

  /** Open incidents (the active states) by severity and state, inside the constraint's SQL conditions. */
  async countOpen(
    constraint: IncidentConstraint | null,
  ): Promise<{ severity: string; state: string; count: number }[]> {
    const rows = await this.filtered({ ...anyIncident(constraint), activeOnly: true })
      .select(['severity', 'state', (eb) => eb.fn.countAll().as('count')])
      .groupBy(['severity', 'state'])
      .execute();
    return rows.map((r) => ({ severity: r.severity, state: r.state, count: Number(r.count) }));
  }

  /** Open incidents' documents inside the constraint's SQL conditions, for the caller to match what SQL does not. */
  async openDocuments(constraint: IncidentConstraint | null): Promise<Incident[]> {
    const rows = await this.filtered({ ...anyIncident(constraint), activeOnly: true })
      .select('document')
      .execute();
    return rows.map((r) => JSON.parse(r.document) as Incident);
  }

  async countBySeverityAndState(): Promise<{ severity: string; state: string; count: number }[]> {
    const rows = await this.database.db
      .selectFrom('incidents')
      .select(['severity', 'state', (eb) => eb.fn.countAll().as('count')])
      .groupBy(['severity', 'state'])
      .execute();
    return rows.map((r) => ({ severity: r.severity, state: r.state, count: Number(r.count) }));
  }
}

export type ResponseColumn = 'acknowledged_at' | 'first_resolved_at';

export interface ResponseSample {
  severity: string;
  created_at: string;
  /** The value of the response column asked for. */
  at: string;
  document?: string;
}

/** A query of every incident (no filter but the constraint), for the aggregates. */
function anyIncident(constraint: IncidentConstraint | null): IncidentQuery {
  const query: IncidentQuery = {
    page: 0,
    pageSize: 0,
    activeOnly: false,
    states: [],
    severities: [],
    sources: [],
  };
  if (constraint !== null) query.constraint = constraint;
  return query;
}

/** The incidents table's columns, as the hot statements bind them. */
export const INCIDENT_COLUMNS = [
  'id',
  'created_at',
  'updated_at',
  'state',
  'severity',
  'incident_type',
  'source',
  'fingerprint',
  'last_alert_at',
  'acknowledged_at',
  'first_resolved_at',
  'document',
] as const;
type IncidentColumn = (typeof INCIDENT_COLUMNS)[number];

function toRow(incident: Incident): Record<IncidentColumn, string | null> {
  const { acknowledged_at, first_resolved_at } = responseTimes(incident);
  return {
    id: incident.id,
    created_at: incident.created_at,
    updated_at: incident.updated_at,
    state: incident.state,
    severity: incident.severity,
    incident_type: incident.incident_type,
    source: incident.source,
    fingerprint: incident.fingerprint,
    last_alert_at: lastAlertAt(incident),
    acknowledged_at,
    first_resolved_at,
    document: JSON.stringify(incident),
  };
}
