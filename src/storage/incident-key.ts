import { expressionBuilder } from 'kysely';
import type { Database } from './database.types';

/**
 * The created_at of incident `incidentId`, as a subquery. Tables that refer to incidents (alerts, event_log) are
 * indexed by (incident_created_at, incident_id), so a lookup of one incident's rows matches both: see migration
 * 0004 for why the key is not incident_id alone.
 */
export function incidentCreatedAtOf(incidentId: string) {
  return expressionBuilder<Database, never>()
    .selectFrom('incidents')
    .select('created_at')
    .where('id', '=', incidentId);
}
