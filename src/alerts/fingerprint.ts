import { createHash } from 'node:crypto';
import type { IncidentType } from '../domain';

/**
 * Contract deduplication key: lowercase hex SHA-256 of source, type name, title and each affected service, in that
 * order, concatenated.
 */
export function alertFingerprint(
  source: string,
  alertType: IncidentType,
  title: string,
  affectedServices: readonly string[],
): string {
  const hash = createHash('sha256').update(source).update(alertType).update(title);
  for (const service of affectedServices) hash.update(service);
  return hash.digest('hex');
}
