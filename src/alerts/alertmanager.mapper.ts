import { createHash } from 'node:crypto';
import { Severity, isIncidentType } from '../domain';
import { LIMITS } from '../common/string-map.validator';
import type { AlertmanagerAlertInput } from './alert-ingestion.service';
import type { AlertmanagerAlertDto } from './dto/alertmanager-webhook.dto';

const SEVERITY_WORDS: Record<string, Severity> = {
  critical: 'P0',
  error: 'P1',
  high: 'P1',
  warning: 'P2',
  medium: 'P2',
  info: 'P3',
  low: 'P3',
  none: 'P4',
  p0: 'P0',
  p1: 'P1',
  p2: 'P2',
  p3: 'P3',
  p4: 'P4',
};

/** `labels.severity` -> Severity, per the contract table; missing or anything else is P2. */
export function severityFromAlertmanager(label: string | undefined): Severity {
  if (label === undefined) return 'P2';
  const word = label.trim().toLowerCase();
  // `P0`..`P4` in any case are taken as is; the words are matched lowercase too.
  return SEVERITY_WORDS[word] ?? 'P2';
}

/** When the sender left out `startsAt`, this stands in for it so that re-deliveries still match. */
const UNKNOWN_START = '0001-01-01T00:00:00Z';

/**
 * Maps one Alertmanager alert to our alert input exactly as the contract's precise rules say. Grafana Alerting's
 * alerts take the same mapping with `grafana` as the source when they carry no `source` label.
 */
export function mapAlertmanagerAlert(
  dto: AlertmanagerAlertDto,
  defaultSource = 'alertmanager',
): AlertmanagerAlertInput {
  const labels = dto.labels;
  const annotations = dto.annotations ?? {};
  const fingerprint = dto.fingerprint ?? labelSetFingerprint(labels);
  const title = annotations.summary ?? labels.alertname ?? 'Alertmanager alert';
  const type = labels.type;
  return {
    status: dto.status,
    fingerprint,
    startsAt: dto.startsAt ?? UNKNOWN_START,
    alert: {
      external_id: fingerprint,
      source: labels.source ?? defaultSource,
      title: title.slice(0, LIMITS.title) || 'Alertmanager alert',
      description: (annotations.description ?? '').slice(0, LIMITS.description),
      severity: severityFromAlertmanager(labels.severity),
      alert_type: isIncidentType(type) ? type : 'Unknown',
      labels: { ...labels },
      affected_services: labels.service !== undefined ? [labels.service] : [],
      runbook_url: annotations.runbook_url ?? null,
      annotations: { ...annotations },
      timestamp: dto.startsAt === undefined ? undefined : utcTimestamp(dto.startsAt),
    },
  };
}

/** Alertmanager's fingerprint is a hash of the label set; compute an equivalent one when the sender omits it. */
function labelSetFingerprint(labels: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(labels).sort()) hash.update(`${key}\u0000${labels[key]}\u0000`);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Timestamps on the wire are UTC with `Z` (contract conventions): an offset (Grafana sends `+02:00`) is converted;
 * a `Z` time is kept as sent. The episode key (`startsAt`) stays as sent, so that re-deliveries match.
 */
function utcTimestamp(value: string): string {
  if (value.endsWith('Z') || value.endsWith('z')) return value;
  // ISO 8601 forms that Date cannot read (week or ordinal dates) are kept as sent.
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}
