import { Kysely, Migration, MigrationProvider, sql } from 'kysely';
import type { Database, SqlDialectName } from './database.types';
import { rekeyIncidentFingerprints } from './dedup-rekey.migration';
import { backfillResponseTimes } from './response-times.migration';

/**
 * Versioned schema migrations, kept in code so that the built server carries them. Never edit a released
 * migration: add the next one.
 */
export function migrationsFor(dialect: SqlDialectName): Record<string, Migration> {
  const sequenceColumn = dialect === 'postgres' ? 'serial' : 'integer';
  return {
    '0001_initial': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('incidents')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('state', 'varchar(32)', (c) => c.notNull())
          .addColumn('severity', 'varchar(8)', (c) => c.notNull())
          .addColumn('incident_type', 'varchar(32)', (c) => c.notNull())
          .addColumn('source', 'varchar(255)', (c) => c.notNull())
          .addColumn('fingerprint', 'varchar(64)')
          .addColumn('document', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('incidents_created_at').on('incidents').column('created_at').execute();
        await db.schema
          .createIndex('incidents_fingerprint')
          .on('incidents')
          .columns(['fingerprint', 'created_at'])
          .execute();
        await db.schema.createIndex('incidents_state').on('incidents').column('state').execute();

        await db.schema
          .createTable('alerts')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('external_id', 'varchar(255)', (c) => c.notNull())
          .addColumn('source', 'varchar(255)', (c) => c.notNull())
          .addColumn('received_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('incident_id', 'varchar(36)')
          .addColumn('origin', 'varchar(32)', (c) => c.notNull())
          .addColumn('origin_status', 'varchar(16)')
          .addColumn('origin_starts_at', 'varchar(64)')
          .addColumn('document', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('alerts_incident').on('alerts').column('incident_id').execute();
        await db.schema
          .createIndex('alerts_origin_external')
          .on('alerts')
          .columns(['origin', 'external_id'])
          .execute();

        await db.schema
          .createTable('event_log')
          .addColumn('sequence', sequenceColumn, (c) =>
            dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
          )
          .addColumn('id', 'varchar(36)', (c) => c.notNull())
          .addColumn('event_type', 'varchar(64)', (c) => c.notNull())
          .addColumn('incident_id', 'varchar(36)')
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('payload', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('event_log_incident').on('event_log').column('incident_id').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('event_log').execute();
        await db.schema.dropTable('alerts').execute();
        await db.schema.dropTable('incidents').execute();
      },
    },
    '0002_escalation_playbooks_notifications': {
      async up(db: Kysely<unknown>): Promise<void> {
        for (const table of ['escalation_policies', 'playbooks', 'notification_channels']) {
          await db.schema
            .createTable(table)
            .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
            .addColumn('name', 'varchar(255)', (c) => c.notNull())
            .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
            .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
            .addColumn('document', 'text', (c) => c.notNull())
            .execute();
          await db.schema.createIndex(`${table}_name`).on(table).column('name').unique().execute();
        }

        await db.schema
          .createTable('escalation_states')
          .addColumn('incident_id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('policy_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('level_index', 'integer', (c) => c.notNull())
          .addColumn('repeat_round', 'integer', (c) => c.notNull())
          .addColumn('next_due_at', 'varchar(40)')
          .addColumn('started_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('stop_reason', 'varchar(64)')
          .execute();
        await db.schema
          .createIndex('escalation_states_due')
          .on('escalation_states')
          .columns(['status', 'next_due_at'])
          .execute();

        await db.schema
          .createTable('playbook_runs')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('incident_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('playbook_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('finished_at', 'varchar(40)')
          .addColumn('document', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('playbook_runs_incident')
          .on('playbook_runs')
          .columns(['incident_id', 'created_at'])
          .execute();
        await db.schema.createIndex('playbook_runs_status').on('playbook_runs').column('status').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        for (const table of [
          'playbook_runs',
          'escalation_states',
          'notification_channels',
          'playbooks',
          'escalation_policies',
        ]) {
          await db.schema.dropTable(table).execute();
        }
      },
    },
    '0003_alertmanager_external_id_index': {
      // Only Alertmanager alerts are ever looked up by external id (their fingerprint). A partial index spares
      // every native alert an insert into an index keyed by a random id (a random page written per alert).
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropIndex('alerts_origin_external').execute();
        await db.schema
          .createIndex('alerts_alertmanager_external')
          .on('alerts')
          .columns(['external_id', 'origin_starts_at'])
          .where(sql.ref('origin'), '=', sql.lit('alertmanager'))
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropIndex('alerts_alertmanager_external').execute();
        await db.schema
          .createIndex('alerts_origin_external')
          .on('alerts')
          .columns(['origin', 'external_id'])
          .execute();
      },
    },
    '0004_incident_locality_keys': {
      // An incident's alerts and events were indexed by incident_id, a random UUID: every new incident wrote a
      // random page of each index, which dominated the cost of committing an alert. Keyed by (incident
      // created_at, incident_id) instead, a new incident's entries land at the end of the index, next to each
      // other; lookups by id first read the incident's created_at (an index lookup on incidents).
      async up(db: Kysely<unknown>): Promise<void> {
        for (const table of ['alerts', 'event_log']) {
          await db.schema.alterTable(table).addColumn('incident_created_at', 'varchar(40)').execute();
          await sql`update ${sql.table(table)} set incident_created_at =
            (select created_at from incidents where incidents.id = ${sql.ref(`${table}.incident_id`)})
            where incident_id is not null`.execute(db);
        }
        await db.schema.dropIndex('alerts_incident').execute();
        await db.schema
          .createIndex('alerts_incident_key')
          .on('alerts')
          .columns(['incident_created_at', 'incident_id'])
          .execute();
        await db.schema.dropIndex('event_log_incident').execute();
        await db.schema
          .createIndex('event_log_incident_key')
          .on('event_log')
          .columns(['incident_created_at', 'incident_id'])
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropIndex('event_log_incident_key').execute();
        await db.schema.createIndex('event_log_incident').on('event_log').column('incident_id').execute();
        await db.schema.dropIndex('alerts_incident_key').execute();
        await db.schema.createIndex('alerts_incident').on('alerts').column('incident_id').execute();
        for (const table of ['alerts', 'event_log']) {
          await db.schema.alterTable(table).dropColumn('incident_created_at').execute();
        }
      },
    },
    '0005_api_keys': {
      // API keys are stored as the SHA-256 of the key, never the key. `constraint_filter` rather than `constraint`,
      // an SQL keyword that any hand-written query would have to quote.
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('api_keys')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('name', 'varchar(255)', (c) => c.notNull())
          .addColumn('key_hash', 'varchar(64)', (c) => c.notNull())
          .addColumn('scopes', 'text', (c) => c.notNull())
          .addColumn('constraint_filter', 'text')
          .addColumn('expires_at', 'varchar(40)')
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('revoked_at', 'varchar(40)')
          .execute();
        await db.schema.createIndex('api_keys_name').on('api_keys').column('name').unique().execute();
        await db.schema.createIndex('api_keys_key_hash').on('api_keys').column('key_hash').unique().execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('api_keys').execute();
      },
    },
    '0007_notification_outbox': {
      // Notification deliveries (waiting, in flight, waiting for a retry) were kept in memory and lost at every
      // restart. One row per delivery; `id` is the `x-delivery-id` receivers deduplicate on. Due rows are found by
      // (status, next_attempt_at); an in-flight row's next_attempt_at is its lease end, so a row whose worker died
      // falls due again by the same index. Finished rows are pruned by (status, updated_at).
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('notification_outbox')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('incident_id', 'varchar(36)', (c) => c.notNull())
          .addColumn('trigger', 'varchar(32)', (c) => c.notNull())
          .addColumn('channel_label', 'text', (c) => c.notNull())
          .addColumn('channel_type', 'varchar(16)', (c) => c.notNull())
          .addColumn('url', 'text', (c) => c.notNull())
          .addColumn('headers', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull())
          .addColumn('status', 'varchar(16)', (c) => c.notNull())
          .addColumn('next_attempt_at', 'varchar(40)')
          .addColumn('leased_until', 'varchar(40)')
          .addColumn('lease_owner', 'varchar(64)')
          .addColumn('last_status_code', 'integer')
          .addColumn('last_error', 'text')
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
          .execute();
        await db.schema
          .createIndex('notification_outbox_due')
          .on('notification_outbox')
          .columns(['status', 'next_attempt_at'])
          .execute();
        await db.schema
          .createIndex('notification_outbox_finished')
          .on('notification_outbox')
          .columns(['status', 'updated_at'])
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('notification_outbox').execute();
      },
    },
    '0006_event_log_match': {
      // What subscription filters match each event against, as it was when it was published: a replay matches
      // exactly as the live stream did, although the incident has changed since. Older events have none and are
      // matched from their payload (see ReplayReader).
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('event_log').addColumn('match_subjects', 'text').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('event_log').dropColumn('match_subjects').execute();
      },
    },
    '0009_dedup_sliding_window': {
      // Deduplication users can trust (contract section 9): fingerprints that hash their fields unambiguously, and a
      // window that slides with the incident's last alert rather than counting from its creation. The lookup is
      // (fingerprint, last_alert_at); the incidents that can still deduplicate are rekeyed so that an alert sent
      // after the upgrade still joins the incident it joined before. Grafana alerts get Alertmanager's index.
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('incidents').addColumn('last_alert_at', 'varchar(40)').execute();
        await db.schema.dropIndex('incidents_fingerprint').execute();
        await db.schema
          .createIndex('incidents_dedup')
          .on('incidents')
          .columns(['fingerprint', 'last_alert_at'])
          .execute();
        await rekeyIncidentFingerprints(db as Kysely<Database>);
        // Grafana alerts are looked up by external id (their fingerprint) as Alertmanager's are (see 0003).
        await db.schema
          .createIndex('alerts_grafana_external')
          .on('alerts')
          .columns(['external_id', 'origin_starts_at'])
          .where(sql.ref('origin'), '=', sql.lit('grafana'))
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        // The old fingerprints are not restored: incidents rekeyed by `up` deduplicate no older alert after this.
        await db.schema.dropIndex('alerts_grafana_external').execute();
        await db.schema.dropIndex('incidents_dedup').execute();
        await db.schema
          .createIndex('incidents_fingerprint')
          .on('incidents')
          .columns(['fingerprint', 'created_at'])
          .execute();
        await db.schema.alterTable('incidents').dropColumn('last_alert_at').execute();
      },
    },
    '0008_silences': {
      // Silences (contract section 10). Matchers as JSON text; instants as Date.toISOString text, which sorts as
      // time. Unexpired silences (ends_at > now) are loaded at start and kept in memory: the ends_at index.
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('silences')
          .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
          .addColumn('matchers', 'text', (c) => c.notNull())
          .addColumn('starts_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('ends_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('created_by', 'varchar(255)', (c) => c.notNull())
          .addColumn('comment', 'text', (c) => c.notNull())
          .addColumn('created_at', 'varchar(40)', (c) => c.notNull())
          .addColumn('updated_at', 'varchar(40)', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('silences_ends_at').on('silences').column('ends_at').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropTable('silences').execute();
      },
    },
    // Several nodes on one PostgreSQL database: a queued or running playbook run is leased by the node running it
    // (renewed while it runs); another node interrupts it once the lease expired (its node stopped or died).
    '0010_cluster_leases': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('playbook_runs').addColumn('lease_until', 'varchar(40)').execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('playbook_runs').dropColumn('lease_until').execute();
      },
    },
    // Time to acknowledge and to resolve (GET /v1/incidents/stats): when each incident was acknowledged and first
    // resolved, derived from its timeline on every write. Indexed for the stats window; partial, so that the
    // incidents not yet acknowledged or resolved (every new one) add no index entry to the alert path.
    '0011_response_times': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('incidents').addColumn('acknowledged_at', 'varchar(40)').execute();
        await db.schema.alterTable('incidents').addColumn('first_resolved_at', 'varchar(40)').execute();
        await backfillResponseTimes(db as Kysely<Database>);
        for (const column of ['acknowledged_at', 'first_resolved_at']) {
          await db.schema
            .createIndex(`incidents_${column}`)
            .on('incidents')
            .column(column)
            .where(sql.ref(column), 'is not', null)
            .execute();
        }
      },
      async down(db: Kysely<unknown>): Promise<void> {
        for (const column of ['acknowledged_at', 'first_resolved_at']) {
          await db.schema.dropIndex(`incidents_${column}`).execute();
          await db.schema.alterTable('incidents').dropColumn(column).execute();
        }
      },
    },
    // An incident's alerts in arrival order straight from the index: the duplicate path asks for the opening alert
    // (the first 8 attached) on every duplicate, which sorted every alert of the incident (O(alerts) per duplicate;
    // an incident re-alerted for hours holds thousands). Same number of index entries, one more column.
    '0012_alerts_incident_order': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropIndex('alerts_incident_key').execute();
        await db.schema
          .createIndex('alerts_incident_key')
          .on('alerts')
          .columns(['incident_created_at', 'incident_id', 'received_at'])
          .execute();
      },
      async down(db: Kysely<unknown>): Promise<void> {
        await db.schema.dropIndex('alerts_incident_key').execute();
        await db.schema
          .createIndex('alerts_incident_key')
          .on('alerts')
          .columns(['incident_created_at', 'incident_id'])
          .execute();
      },
    },
  };
}

export class InCodeMigrationProvider implements MigrationProvider {
  constructor(private readonly dialect: SqlDialectName) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(migrationsFor(this.dialect));
  }
}

/** Cheap round trip used by the readiness check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema will do for `select 1`
export async function pingDatabase(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db);
}
