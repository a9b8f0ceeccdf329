import type { Generated, Kysely, Transaction } from 'kysely';

/** Row shapes. Documents are JSON text so that every query stays dialect-neutral (SQLite and PostgreSQL). */
export interface IncidentsTable {
  id: string;
  created_at: string;
  updated_at: string;
  state: string;
  severity: string;
  incident_type: string;
  source: string;
  fingerprint: string | null;
  document: string;
}

export interface AlertsTable {
  id: string;
  external_id: string;
  source: string;
  received_at: string;
  incident_id: string | null;
  /** `native` (POST /v1/alerts) or `alertmanager`. */
  origin: string;
  /** Alertmanager alerts only: `firing` or `resolved`. */
  origin_status: string | null;
  /** Alertmanager alerts only: startsAt, which with external_id identifies one firing episode. */
  origin_starts_at: string | null;
  document: string;
}

export interface EventLogTable {
  sequence: Generated<number>;
  id: string;
  event_type: string;
  incident_id: string | null;
  created_at: string;
  payload: string;
}

export interface Database {
  incidents: IncidentsTable;
  alerts: AlertsTable;
  event_log: EventLogTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: repositories accept both. */
export type Executor = Kysely<Database> | Transaction<Database>;

export type SqlDialectName = 'sqlite' | 'postgres';
