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
  /** The incident's created_at: with incident_id, the index key by which an incident's alerts are found. */
  incident_created_at: string | null;
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
  /** The incident's created_at: with incident_id, the index key by which an incident's events are found. */
  incident_created_at: string | null;
  created_at: string;
  payload: string;
}

/** Escalation policies, playbooks and notification channels: a definition document plus its name. */
export interface DefinitionTable {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  document: string;
}

/**
 * One row per incident under an escalation policy: the schedule lives here (not only in timers) so that a restart
 * re-arms it. `next_due_at` is set while `status` is `active`.
 */
export interface EscalationStatesTable {
  incident_id: string;
  policy_id: string;
  status: string;
  /** Index into the policy's levels of the level that fires next (or fired last once finished). */
  level_index: number;
  /** How many times the level sequence has restarted (policy `repeat`). */
  repeat_round: number;
  next_due_at: string | null;
  started_at: string;
  updated_at: string;
  stop_reason: string | null;
}

export interface PlaybookRunsTable {
  id: string;
  incident_id: string;
  playbook_id: string;
  status: string;
  created_at: string;
  finished_at: string | null;
  document: string;
}

/** API keys: the SHA-256 (hex) of the key, never the key; `scopes` and `constraint_filter` are JSON text. */
export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  scopes: string;
  constraint_filter: string | null;
  expires_at: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface Database {
  incidents: IncidentsTable;
  alerts: AlertsTable;
  event_log: EventLogTable;
  escalation_policies: DefinitionTable;
  escalation_states: EscalationStatesTable;
  playbooks: DefinitionTable;
  playbook_runs: PlaybookRunsTable;
  notification_channels: DefinitionTable;
  api_keys: ApiKeysTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: repositories accept both. */
export type Executor = Kysely<Database> | Transaction<Database>;

export type SqlDialectName = 'sqlite' | 'postgres';
