import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Alert } from '../domain';
import { DatabaseService } from '../storage/database.service';
import type { Executor } from '../storage/database.types';
import { incidentCreatedAtOf } from '../storage/incident-key';
import { PrecompiledQuery, slotRow } from '../storage/precompiled-query';
import { AlertOrigin, WebhookOrigin } from './alert-input';

/**
 * Written into the SQL as a literal, not bound as a parameter, so that the planner can prove the query is covered
 * by the partial index on that origin's alerts (it cannot for a parameter's value).
 */
const originLiteral = (origin: WebhookOrigin) => sql.lit(origin);
const WEBHOOK_ORIGINS = [sql.lit(AlertOrigin.Alertmanager), sql.lit(AlertOrigin.Grafana)];

const ALERT_COLUMNS = [
  'id',
  'external_id',
  'source',
  'received_at',
  'incident_id',
  'incident_created_at',
  'origin',
  'origin_status',
  'origin_starts_at',
  'document',
] as const;
type AlertColumn = (typeof ALERT_COLUMNS)[number];

export interface StoredAlert {
  alert: Alert;
  origin: string;
  originStatus: string | null;
  originStartsAt: string | null;
}

export interface AlertOriginInfo {
  origin: AlertOrigin;
  status: 'firing' | 'resolved' | null;
  startsAt: string | null;
}

@Injectable()
export class AlertsRepository {
  // The statements of the alert path, compiled once (see PrecompiledQuery).
  private readonly insertRow: PrecompiledQuery<unknown, AlertColumn>;
  private readonly firstAttached: PrecompiledQuery<{ id: string; document: string }, 'incidentId'>;

  constructor(private readonly database: DatabaseService) {
    const db = database.db;
    this.insertRow = PrecompiledQuery.build(
      (slot) => db.insertInto('alerts').values(slotRow(ALERT_COLUMNS, slot)).compile(),
      database.directStatements,
    );
    this.firstAttached = PrecompiledQuery.build(
      (slot) =>
        db
          .selectFrom('alerts')
          .select(['id', 'document'])
          .where('incident_created_at', '=', incidentCreatedAtOf(slot('incidentId')))
          .where('incident_id', '=', slot('incidentId'))
          .orderBy('received_at', 'asc')
          .limit(8)
          .compile(),
      database.directStatements,
    );
  }

  /** Stores an alert; `incidentCreatedAt` is the created_at of the incident it is attached to (null if none). */
  async insert(
    executor: Executor,
    alert: Alert,
    origin: AlertOriginInfo,
    incidentCreatedAt: string | null,
  ): Promise<void> {
    await this.insertRow.run(executor, {
      id: alert.id,
      external_id: alert.external_id,
      source: alert.source,
      received_at: alert.received_at,
      incident_id: alert.incident_id,
      incident_created_at: incidentCreatedAt,
      origin: origin.origin,
      origin_status: origin.status,
      origin_starts_at: origin.startsAt,
      document: JSON.stringify(alert),
    });
  }

  get(id: string): Promise<Alert | undefined> {
    return this.database.db
      .selectFrom('alerts')
      .select('document')
      .where('id', '=', id)
      .executeTakeFirst()
      .then((row) => (row ? (JSON.parse(row.document) as Alert) : undefined));
  }

  async listByIncident(incidentId: string): Promise<Alert[]> {
    const rows = await this.database.db
      .selectFrom('alerts')
      .select('document')
      .where('incident_created_at', '=', incidentCreatedAtOf(incidentId))
      .where('incident_id', '=', incidentId)
      .orderBy('received_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map((r) => JSON.parse(r.document) as Alert);
  }

  /** The alert that opened the incident: the earliest one attached that was not a duplicate. */
  async findOpeningAlertId(executor: Executor, incidentId: string): Promise<string | null> {
    const { rows } = await this.firstAttached.run(executor, { incidentId });
    const opening = rows.find((r) => !(JSON.parse(r.document) as Alert).deduplicated);
    return opening?.id ?? null;
  }

  /** An Alertmanager (or Grafana) alert of this fingerprint and firing episode (startsAt), already stored as firing. */
  async findFiringEpisode(
    executor: Executor,
    origin: WebhookOrigin,
    fingerprint: string,
    startsAt: string,
  ): Promise<StoredAlert | undefined> {
    const row = await executor
      .selectFrom('alerts')
      .selectAll()
      .where('origin', '=', originLiteral(origin))
      .where('external_id', '=', fingerprint)
      .where('origin_starts_at', '=', startsAt)
      .orderBy('received_at', 'asc')
      .limit(1)
      .executeTakeFirst();
    return row ? toStored(row) : undefined;
  }

  /** Alertmanager (or Grafana) alerts of this fingerprint, in the given status, attached to an incident. */
  async findAlertmanagerAlerts(
    executor: Executor,
    origin: WebhookOrigin,
    fingerprint: string,
    status: 'firing' | 'resolved',
  ): Promise<StoredAlert[]> {
    const rows = await executor
      .selectFrom('alerts')
      .selectAll()
      .where('origin', '=', originLiteral(origin))
      .where('external_id', '=', fingerprint)
      .where('origin_status', '=', status)
      .orderBy('received_at', 'desc')
      .execute();
    return rows.map(toStored);
  }

  async markAlertmanagerResolved(executor: Executor, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await executor.updateTable('alerts').set({ origin_status: 'resolved' }).where('id', 'in', ids).execute();
  }

  /** How many Alertmanager and Grafana alerts attached to the incident are still firing. */
  async countFiringForIncident(executor: Executor, incidentId: string): Promise<number> {
    const row = await executor
      .selectFrom('alerts')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('incident_created_at', '=', incidentCreatedAtOf(incidentId))
      .where('incident_id', '=', incidentId)
      .where('origin', 'in', WEBHOOK_ORIGINS)
      .where('origin_status', '=', 'firing')
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}

function toStored(row: {
  document: string;
  origin: string;
  origin_status: string | null;
  origin_starts_at: string | null;
}): StoredAlert {
  return {
    alert: JSON.parse(row.document) as Alert,
    origin: row.origin,
    originStatus: row.origin_status,
    originStartsAt: row.origin_starts_at,
  };
}
