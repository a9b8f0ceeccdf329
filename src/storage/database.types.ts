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
  /** The deduplication key's hash (see alerts/fingerprint.ts); null for an incident not opened by an alert. */
  fingerprint: string | null;
  /** When its last alert arrived (the sliding deduplication window); null only for rows not written since 0009. */
  last_alert_at: string | null;
  /** Its acknowledgement and first resolution (incidents/response-times.ts), derived on every write; null until then. */
  acknowledged_at: string | null;
  first_resolved_at: string | null;
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
  /** The event's match subjects (JSON) for replays; null for events stored before migration 0006. */
  match_subjects: string | null;
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
  /** Until when the node running it holds it (PostgreSQL; null: not leased, e.g. stored before 0010). */
  lease_until: string | null;
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

/**
 * The notification outbox: one row per delivery until it is delivered or has failed for good (then pruned). `url`
 * and `headers` (JSON) may hold credentials: they are needed to deliver after a restart, are never returned by the
 * API, and are masked once the row is finished. `body` is the request body (JSON) as built at enqueue.
 */
export interface NotificationOutboxTable {
  /** The delivery id: sent as `x-delivery-id`, stable across retries and restarts. */
  id: string;
  incident_id: string;
  trigger: string;
  channel_label: string;
  channel_type: string;
  url: string;
  headers: string;
  body: string;
  /** Completed attempts. */
  attempts: number;
  /** `pending`, `delivering`, `delivered` or `failed`. */
  status: string;
  /** When a pending row is due; for a `delivering` row, its lease end (it is due again if its worker died). */
  next_attempt_at: string | null;
  leased_until: string | null;
  lease_owner: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

/** Silences (migration 0008): `matchers` is JSON text; instants are `Date.toISOString` text. */
export interface SilencesTable {
  id: string;
  matchers: string;
  starts_at: string;
  ends_at: string;
  created_by: string;
  comment: string;
  created_at: string;
  updated_at: string;
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
  notification_outbox: NotificationOutboxTable;
  silences: SilencesTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: repositories accept both. */
export type Executor = Kysely<Database> | Transaction<Database>;

export type SqlDialectName = 'sqlite' | 'postgres';
