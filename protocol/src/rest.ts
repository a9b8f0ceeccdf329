import type { DomainEvent, EventType } from './events';
import type { Incident, ResolutionMethod } from './incident';
import type { IncidentState } from './incident-state';
import type { IncidentType } from './incident-type';
import type { Severity } from './severity';

/** The codes of the REST error body (`{"error": {code, message, status}}`). */
export const ApiErrorCode = {
  Validation: 'VALIDATION_ERROR',
  Authentication: 'AUTHENTICATION_ERROR',
  Authorization: 'AUTHORIZATION_ERROR',
  NotFound: 'NOT_FOUND',
  InvalidStateTransition: 'INVALID_STATE_TRANSITION',
  Conflict: 'CONFLICT',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  RateLimitExceeded: 'RATE_LIMIT_EXCEEDED',
  Internal: 'INTERNAL_ERROR',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

/** Every non-2xx REST answer. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; status: number };
}

/** `POST /v1/alerts`: a native alert. */
export interface AlertSubmission {
  source: string;
  title: string;
  description: string;
  severity: Severity;
  alert_type: IncidentType;
  /** The sender's id for the alert; a new UUID when absent. */
  external_id?: string;
  labels?: Record<string, string>;
  affected_services?: string[];
  runbook_url?: string;
  annotations?: Record<string, string>;
  /** Replaces the fingerprint as the deduplication key. */
  dedup_key?: string;
}

/** How an alert was taken in. */
export const AckStatus = {
  Accepted: 'Accepted',
  Duplicate: 'Duplicate',
  Resolved: 'Resolved',
  /** The alert matched an active silence: stored, attached to no incident. */
  Suppressed: 'Suppressed',
} as const;
export type AckStatus = (typeof AckStatus)[keyof typeof AckStatus];

/** The answer to `POST /v1/alerts` (and one entry of `acks` for the routes that take several alerts). */
export interface AlertAck {
  alert_id: string | null;
  incident_id: string | null;
  status: AckStatus;
  message: string;
}

/** `POST /v1/alerts/batch`. */
export interface AlertBatchSubmission {
  alerts: AlertSubmission[];
}

/** The answer of the routes that take several alerts: one ack per alert, in their order. */
export interface AlertAcks {
  acks: AlertAck[];
}

/** `POST /v1/incidents`. */
export interface IncidentSubmission {
  source: string;
  title: string;
  description: string;
  severity: Severity;
  incident_type: IncidentType;
  affected_resources?: string[];
  labels?: Record<string, string>;
}

/** The query of `GET /v1/incidents`. */
export interface IncidentListQuery {
  /** 0-based (default 0). */
  page?: number;
  /** 1..100 (default 20). */
  page_size?: number;
  active_only?: boolean;
  state?: IncidentState[];
  severity?: Severity[];
  source?: string[];
}

/** The answer of `GET /v1/incidents`: newest first. */
export interface IncidentPage {
  incidents: Incident[];
  total: number;
  page: number;
  page_size: number;
}

/** `PATCH /v1/incidents/:id`: every field optional. */
export interface IncidentUpdate {
  state?: IncidentState;
  severity?: Severity;
  assignees?: string[];
  labels?: Record<string, string>;
  actor?: string;
}

/** `POST /v1/incidents/:id/acknowledge`. */
export interface AcknowledgeIncidentBody {
  actor?: string;
}

/** `POST /v1/incidents/:id/resolve`; `resolved_by` defaults to the credential's name. */
export interface ResolveIncidentBody {
  method: ResolutionMethod;
  notes: string;
  resolved_by?: string;
  root_cause?: string;
}

/** `POST /v1/incidents/:id/close`. */
export interface CloseIncidentBody {
  actor?: string;
}

/** `POST /v1/incidents/:id/comments`; `author` defaults to the credential's name. */
export interface CommentBody {
  comment: string;
  author?: string;
}

/** `POST /v1/incidents/:id/escalate`. */
export interface EscalateIncidentBody {
  to_severity: Severity;
  reason: string;
  actor?: string;
}

/** The query of `GET /v1/events` and `GET /v1/incidents/:id/events`. */
export interface EventLogQuery {
  /** Only events with a greater sequence (default 0). */
  after_sequence?: number;
  /** 1..1000 (default 100). */
  limit?: number;
}

/** One stored event of the log. */
export interface EventLogEntry {
  sequence: number;
  id: string;
  event_type: EventType;
  /** null for a `system_event`. */
  incident_id: string | null;
  created_at: string;
  event: DomainEvent;
}

/** A page of the event log (oldest first) and the range the log holds (0 and 0 while it is empty). */
export interface EventLogPage {
  events: EventLogEntry[];
  oldest_sequence: number;
  head_sequence: number;
}
