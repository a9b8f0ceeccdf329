import type { IncidentType, Severity } from '../domain';

/** An alert as ingestion sees it, whatever transport it came from. */
export interface AlertInput {
  external_id?: string;
  source: string;
  title: string;
  description: string;
  severity: Severity;
  alert_type: IncidentType;
  labels: Record<string, string>;
  affected_services: string[];
  runbook_url: string | null;
  annotations: Record<string, string>;
  /** The alert's own time (Alertmanager startsAt); defaults to reception time. */
  timestamp?: string;
  /**
   * The sender's deduplication key (contract section 9): when set, it replaces the fingerprint of source, type,
   * title and services, so alerts with the same key join one active incident whatever their content.
   */
  dedup_key?: string;
}

/** Where an alert came from; stored with it. Alertmanager and Grafana alerts are matched by their own fingerprint. */
export const AlertOrigin = { Native: 'native', Alertmanager: 'alertmanager', Grafana: 'grafana' } as const;
export type AlertOrigin = (typeof AlertOrigin)[keyof typeof AlertOrigin];
/** The origins whose webhooks carry Alertmanager-shaped alerts (fingerprint, startsAt, firing/resolved). */
export type WebhookOrigin = typeof AlertOrigin.Alertmanager | typeof AlertOrigin.Grafana;

// The ack is a wire shape: defined once, in the protocol package.
export { AckStatus } from '@llm-incident-manager/protocol';
export type { AlertAck } from '@llm-incident-manager/protocol';
