import type { Alert } from './alert';
import type { Incident } from './incident';
import type { IncidentState } from './incident-state';
import type { Severity } from './severity';

/** Event type names on the wire (`event_type`). Constants, never scattered literals. */
export const EventType = {
  IncidentCreated: 'incident_created',
  IncidentUpdated: 'incident_updated',
  IncidentResolved: 'incident_resolved',
  IncidentClosed: 'incident_closed',
  AlertReceived: 'alert_received',
  AlertConverted: 'alert_converted',
  Escalated: 'escalated',
  PlaybookStarted: 'playbook_started',
  PlaybookActionExecuted: 'playbook_action_executed',
  PlaybookCompleted: 'playbook_completed',
  NotificationSent: 'notification_sent',
  AssignmentChanged: 'assignment_changed',
  CommentAdded: 'comment_added',
  SystemEvent: 'system_event',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];
export const EVENT_TYPES: readonly EventType[] = Object.values(EventType);

export interface IncidentCreatedEvent {
  event_type: typeof EventType.IncidentCreated;
  incident: Incident;
}
export interface IncidentUpdatedEvent {
  event_type: typeof EventType.IncidentUpdated;
  incident: Incident;
  previous_state: IncidentState | null;
}
export interface IncidentResolvedEvent {
  event_type: typeof EventType.IncidentResolved;
  incident: Incident;
}
export interface IncidentClosedEvent {
  event_type: typeof EventType.IncidentClosed;
  incident: Incident;
}
export interface AlertReceivedEvent {
  event_type: typeof EventType.AlertReceived;
  alert: Alert;
}
export interface AlertConvertedEvent {
  event_type: typeof EventType.AlertConverted;
  alert: Alert;
  incident_id: string;
}
export interface EscalatedEvent {
  event_type: typeof EventType.Escalated;
  incident_id: string;
  from_severity: Severity;
  to_severity: Severity;
  reason: string;
}
export interface PlaybookStartedEvent {
  event_type: typeof EventType.PlaybookStarted;
  incident_id: string;
  playbook_id: string;
  playbook_name: string;
}
export interface PlaybookActionExecutedEvent {
  event_type: typeof EventType.PlaybookActionExecuted;
  incident_id: string;
  playbook_id: string;
  action_name: string;
  success: boolean;
  message: string;
}
export interface PlaybookCompletedEvent {
  event_type: typeof EventType.PlaybookCompleted;
  incident_id: string;
  playbook_id: string;
  success: boolean;
  actions_executed: number;
}
export interface NotificationSentEvent {
  event_type: typeof EventType.NotificationSent;
  incident_id: string;
  channel: string;
  success: boolean;
  /** 1 for the first try; 0 for a delivery dropped before any attempt. */
  attempt: number;
  /** The receiver's HTTP status, null when none came back. */
  status_code: number | null;
  /** Why it failed (`dropped` when the queue was full), null on success. */
  error: string | null;
}
export interface AssignmentChangedEvent {
  event_type: typeof EventType.AssignmentChanged;
  incident_id: string;
  assignees: string[];
}
export interface CommentAddedEvent {
  event_type: typeof EventType.CommentAdded;
  incident_id: string;
  author: string;
  comment: string;
  timestamp: string;
}
export interface SystemEventEvent {
  event_type: typeof EventType.SystemEvent;
  category: string;
  message: string;
  metadata: Record<string, string>;
}

export type DomainEvent =
  | IncidentCreatedEvent
  | IncidentUpdatedEvent
  | IncidentResolvedEvent
  | IncidentClosedEvent
  | AlertReceivedEvent
  | AlertConvertedEvent
  | EscalatedEvent
  | PlaybookStartedEvent
  | PlaybookActionExecutedEvent
  | PlaybookCompletedEvent
  | NotificationSentEvent
  | AssignmentChangedEvent
  | CommentAddedEvent
  | SystemEventEvent;
