import { Injectable } from '@nestjs/common';
import { ACTIVE_STATES, Incident, IncidentState, Severity } from '../domain';
import { DatabaseService } from '../storage/database.service';
import type { Executor } from '../storage/database.types';

export interface IncidentQuery {
  page: number;
  pageSize: number;
  activeOnly: boolean;
  states: IncidentState[];
  severities: Severity[];
  sources: string[];
}

/** Incidents are stored as a JSON document plus the columns we filter and sort on. */
@Injectable()
export class IncidentsRepository {
  constructor(private readonly database: DatabaseService) {}

  async insert(executor: Executor, incident: Incident): Promise<void> {
    await executor.insertInto('incidents').values(toRow(incident)).execute();
  }

  async update(executor: Executor, incident: Incident): Promise<void> {
    const { id, ...columns } = toRow(incident);
    await executor.updateTable('incidents').set(columns).where('id', '=', id).execute();
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

  /** The newest active incident with this fingerprint created at or after `createdSince`. */
  async findActiveByFingerprint(
    executor: Executor,
    fingerprint: string,
    createdSince: string,
  ): Promise<Incident | undefined> {
    const row = await executor
      .selectFrom('incidents')
      .select('document')
      .where('fingerprint', '=', fingerprint)
      .where('created_at', '>=', createdSince)
      .where('state', 'in', ACTIVE_STATES)
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? (JSON.parse(row.document) as Incident) : undefined;
  }

  async list(query: IncidentQuery): Promise<{ incidents: Incident[]; total: number }> {
    const db = this.database.db;
    let base = db.selectFrom('incidents');
    if (query.activeOnly) base = base.where('state', 'in', ACTIVE_STATES);
    if (query.states.length > 0) base = base.where('state', 'in', query.states);
    if (query.severities.length > 0) base = base.where('severity', 'in', query.severities);
    if (query.sources.length > 0) base = base.where('source', 'in', query.sources);
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

  async countBySeverityAndState(): Promise<{ severity: string; state: string; count: number }[]> {
    const rows = await this.database.db
      .selectFrom('incidents')
      .select(['severity', 'state', (eb) => eb.fn.countAll().as('count')])
      .groupBy(['severity', 'state'])
      .execute();
    return rows.map((r) => ({ severity: r.severity, state: r.state, count: Number(r.count) }));
  }
}

function toRow(incident: Incident) {
  return {
    id: incident.id,
    created_at: incident.created_at,
    updated_at: incident.updated_at,
    state: incident.state,
    severity: incident.severity,
    incident_type: incident.incident_type,
    source: incident.source,
    fingerprint: incident.fingerprint,
    document: JSON.stringify(incident),
  };
}
