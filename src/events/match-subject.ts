import type { Incident, IncidentState, Severity } from '../domain';
import { EventType, type DomainEvent } from './event.types';

/**
 * What subscription filters are matched against, extracted once per event when it is published (contract,
 * "Matching"): incident events -> their incident; alert events -> the alert, with `states` and `incident_ids` taken
 * from the alert's incident; other incident-scoped events -> the current state of the incident they name;
 * `system_event` -> type only. Stored with the event in the log, so that a replay matches exactly as the live
 * stream did.
 */
export interface MatchSubject {
  /** True for `system_event`, which only `event_types` filters. */
  readonly typeOnly: boolean;
  readonly severity: Severity | null;
  readonly state: IncidentState | null;
  readonly source: string | null;
  readonly resources: readonly string[] | null;
  readonly labels: Readonly<Record<string, string>> | null;
  readonly incidentId: string | null;
}

/** An event's subjects: as it is after the change, and as the incident was before it (changes that can leave a view). */
export interface MatchSubjects {
  readonly subject: MatchSubject;
  readonly previous: MatchSubject | null;
}

const TYPE_ONLY: MatchSubject = {
  typeOnly: true,
  severity: null,
  state: null,
  source: null,
  resources: null,
  labels: null,
  incidentId: null,
};

/** The events that are matched against the incident before the change as well (contract section 7). */
const LEAVES_A_VIEW: ReadonlySet<EventType> = new Set<EventType>([
  EventType.IncidentUpdated,
  EventType.IncidentResolved,
  EventType.IncidentClosed,
  EventType.Escalated,
]);

/**
 * The subject of `event`. `incident` is the incident the event concerns as it is after the change (null if none or
 * unknown).
 */
export function matchSubjectOf(event: DomainEvent, incident: Incident | null): MatchSubject {
  switch (event.event_type) {
    case EventType.IncidentCreated:
    case EventType.IncidentUpdated:
    case EventType.IncidentResolved:
    case EventType.IncidentClosed:
      return incidentSubject(event.incident);
    case EventType.AlertReceived:
    case EventType.AlertConverted: {
      const alert = event.alert;
      const incidentId =
        alert.incident_id ??
        (event.event_type === EventType.AlertConverted ? event.incident_id : null) ??
        incident?.id ??
        null;
      return {
        typeOnly: false,
        severity: alert.severity,
        state: incident?.state ?? null,
        source: alert.source,
        resources: alert.affected_services,
        labels: alert.labels,
        incidentId,
      };
    }
    case EventType.Escalated:
    case EventType.PlaybookStarted:
    case EventType.PlaybookActionExecuted:
    case EventType.PlaybookCompleted:
    case EventType.NotificationSent:
    case EventType.AssignmentChanged:
    case EventType.CommentAdded:
      // Matched against the incident as it is now; an unknown incident matches only filters that do not ask
      // about it (never widen a subscription on missing data).
      return incident === null
        ? { ...TYPE_ONLY, typeOnly: false, incidentId: event.incident_id }
        : incidentSubject(incident);
    case EventType.SystemEvent:
      return TYPE_ONLY;
  }
}

/** Both subjects of an event; `previous` only for the changes that can move an incident out of a filtered view. */
export function matchSubjectsOf(
  event: DomainEvent,
  incident: Incident | null,
  previous: Incident | null,
): MatchSubjects {
  return {
    subject: matchSubjectOf(event, incident),
    previous: previous !== null && LEAVES_A_VIEW.has(event.event_type) ? incidentSubject(previous) : null,
  };
}

/** The subject of an incident itself (incident events, snapshots). */
export function incidentSubject(incident: Incident): MatchSubject {
  return {
    typeOnly: false,
    severity: incident.severity,
    state: incident.state,
    source: incident.source,
    resources: incident.affected_resources,
    labels: incident.labels,
    incidentId: incident.id,
  };
}
