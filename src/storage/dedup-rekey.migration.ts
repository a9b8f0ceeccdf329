import type { Kysely } from 'kysely';
import { alertFingerprint, alertmanagerFingerprint } from '../alerts/fingerprint';
import type { Incident } from '../domain';
import { lastAlertAt } from '../incidents/last-alert-at';
import type { Database } from './database.types';

/** Incidents read and rewritten per step. */
const PAGE = 500;

/**
 * Migration 0009: the incidents that can still deduplicate (every state but Closed: a Resolved one may be reopened)
 * get the fingerprint of alerts/fingerprint.ts in place of the old concatenation (column and document, which every
 * later write copies into the column), and their `last_alert_at`. An incident opened by an Alertmanager alert is
 * keyed by that alert's fingerprint, as new ones are. Closed incidents and those opened over REST keep theirs: no
 * alert is matched against them.
 */
export async function rekeyIncidentFingerprints(db: Kysely<Database>): Promise<void> {
  let after = '';
  for (;;) {
    const rows = await db
      .selectFrom('incidents')
      .select(['id', 'created_at', 'document'])
      .where('fingerprint', 'is not', null)
      .where('state', '!=', 'Closed')
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    for (const row of rows) {
      const incident = JSON.parse(row.document) as Incident;
      const opening = await db
        .selectFrom('alerts')
        .select(['origin', 'external_id'])
        .where('incident_created_at', '=', row.created_at)
        .where('incident_id', '=', row.id)
        .orderBy('received_at', 'asc')
        .limit(1)
        .executeTakeFirst();
      incident.fingerprint =
        opening?.origin === 'alertmanager'
          ? alertmanagerFingerprint('alertmanager', opening.external_id)
          : alertFingerprint(
              incident.source,
              incident.incident_type,
              incident.title,
              incident.affected_resources,
            );
      await db
        .updateTable('incidents')
        .set({
          fingerprint: incident.fingerprint,
          last_alert_at: lastAlertAt(incident),
          document: JSON.stringify(incident),
        })
        .where('id', '=', row.id)
        .execute();
    }
    if (rows.length < PAGE) return;
    after = rows[rows.length - 1].id;
  }
}
