import { createHash } from 'node:crypto';
import type { IncidentType } from '../domain';

/**
 * Incident fingerprints: the key an alert is deduplicated by, stored on the incident (contract section 9). Each is
 * the lowercase hex SHA-256 of a kind tag and the key's fields, every one written as `<length>:<text>`, so that no
 * two different field lists hash the same text (`["db-a","db-b"]` is not `["db-adb-b"]`, a title ending in a
 * service name is not that service) and the three kinds can never equal each other.
 */
function keyHash(kind: string, fields: readonly string[]): string {
  let text = `${kind.length}:${kind}`;
  for (const field of fields) text += `${field.length}:${field}`;
  return createHash('sha256').update(text).digest('hex');
}

/** An alert's own fields: source, type name, title and its affected services in sorted order (order is not meaning). */
export function alertFingerprint(
  source: string,
  alertType: IncidentType,
  title: string,
  affectedServices: readonly string[],
): string {
  return keyHash('alert', [source, alertType, title, ...[...affectedServices].sort()]);
}

/** An alert sent with a `dedup_key`: the key replaces the alert's fields. */
export function dedupKeyFingerprint(dedupKey: string): string {
  return keyHash('dedup_key', [dedupKey]);
}

/**
 * An Alertmanager or Grafana alert: its sender's fingerprint, the identity of its label set, so that two alerts
 * with different label sets are two incidents even with the same summary. `origin` keeps the two senders apart.
 */
export function alertmanagerFingerprint(
  origin: 'alertmanager' | 'grafana',
  labelSetFingerprint: string,
): string {
  return keyHash(origin, [labelSetFingerprint]);
}
