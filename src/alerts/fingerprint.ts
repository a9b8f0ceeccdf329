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

/**
 * The incident fingerprint of an alert sent with a `dedup_key` (contract section 9): the key replaces the alert's
 * fields. Hashed under its own tag so that no key can equal the fingerprint of an alert's fields, and so that a key
 * of any length fits the fingerprint column.
 */
export function dedupKeyFingerprint(dedupKey: string): string {
  return createHash('sha256').update(`dedup_key:${dedupKey.length}:${dedupKey}`).digest('hex');
}
