import type { Alert } from '../domain';
import type { NewIncident } from '../incidents/incident-lifecycle';

/**
 * Contract mapping: source, title, description, severity, type copied; affected_resources = affected_services;
 * labels = alert labels plus `runbook_url` (if set) plus `annotation_<k>` for each annotation.
 */
export function incidentFromAlert(alert: Alert, fingerprint: string): NewIncident {
  const labels: Record<string, string> = { ...alert.labels };
  if (alert.runbook_url !== null) labels.runbook_url = alert.runbook_url;
  for (const [key, value] of Object.entries(alert.annotations)) labels[`annotation_${key}`] = value;
  return {
    source: alert.source,
    title: alert.title,
    description: alert.description,
    severity: alert.severity,
    incident_type: alert.alert_type,
    affected_resources: [...alert.affected_services],
    labels,
    fingerprint,
  };
}
