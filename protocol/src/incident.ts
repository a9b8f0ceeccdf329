import type { IncidentState } from './incident-state';
import type { IncidentType } from './incident-type';
import type { Severity } from './severity';

export const TIMELINE_EVENT_TYPES = [
  'Created',
  'StateChanged',
  'ActionExecuted',
  'NotificationSent',
  'AssignmentChanged',
  'CommentAdded',
  'PlaybookStarted',
  'PlaybookCompleted',
  'Escalated',
  'Resolved',
  'AlertReceived',
  'SeverityChanged',
] as const;
export type TimelineEventType = (typeof TIMELINE_EVENT_TYPES)[number];

export const RESOLUTION_METHODS = ['Automated', 'Manual', 'AutoAssistedManual'] as const;
export type ResolutionMethod = (typeof RESOLUTION_METHODS)[number];

export interface TimelineEntry {
  timestamp: string;
  event_type: TimelineEventType;
  actor: string;
  description: string;
  metadata: Record<string, string>;
}

export interface Resolution {
  resolved_at: string;
  resolved_by: string;
  resolution_method: ResolutionMethod;
  root_cause: string | null;
  notes: string;
}

export interface IncidentNote {
  id: string;
  author: string;
  content: string;
  created_at: string;
}

export interface Incident {
  id: string;
  created_at: string;
  updated_at: string;
  state: IncidentState;
  severity: Severity;
  incident_type: IncidentType;
  source: string;
  title: string;
  description: string;
  affected_resources: string[];
  labels: Record<string, string>;
  related_incidents: string[];
  active_playbook: string | null;
  resolution: Resolution | null;
  timeline: TimelineEntry[];
  assignees: string[];
  notes: IncidentNote[];
  fingerprint: string | null;
  correlation_score: number | null;
}
