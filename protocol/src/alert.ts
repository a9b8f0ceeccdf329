import type { IncidentType } from './incident-type';
import type { Severity } from './severity';

export interface Alert {
  id: string;
  external_id: string;
  source: string;
  timestamp: string;
  received_at: string;
  severity: Severity;
  alert_type: IncidentType;
  title: string;
  description: string;
  labels: Record<string, string>;
  affected_services: string[];
  runbook_url: string | null;
  annotations: Record<string, string>;
  incident_id: string | null;
  deduplicated: boolean;
  parent_alert_id: string | null;
  /** The sender's deduplication key, when it sent one (contract section 9); absent otherwise. */
  dedup_key?: string;
  /**
   * Set when the alert matched an active silence (contract section 10): stored, published as `alert_received`,
   * attached to no incident. Both absent otherwise.
   */
  suppressed?: true;
  silence_id?: string;
}
