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

/** Maps one Alertmanager alert to our alert input exactly as the contract's precise rules say. */
export function mapAlertmanagerAlert(dto: AlertmanagerAlertDto): AlertmanagerAlertInput {
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
      source: labels.source ?? 'alertmanager',
      title: title.slice(0, LIMITS.title) || 'Alertmanager alert',
      description: (annotations.description ?? '').slice(0, LIMITS.description),
      severity: severityFromAlertmanager(labels.severity),
      alert_type: isIncidentType(type) ? type : 'Unknown',
      labels: { ...labels },
      affected_services: labels.service !== undefined ? [labels.service] : [],
      runbook_url: annotations.runbook_url ?? null,
      annotations: { ...annotations },
      timestamp: dto.startsAt,
    },
  };
}

/** Alertmanager's fingerprint is a hash of the label set; compute an equivalent one when the sender omits it. */
function labelSetFingerprint(labels: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const key of Object.keys(labels).sort()) hash.update(`${key}\u0000${labels[key]}\u0000`);
  return hash.digest('hex').slice(0, 16);
}
