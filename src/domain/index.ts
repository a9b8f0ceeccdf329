// The wire shapes (incidents, alerts, severities, states, types) are defined once, in the protocol package shared
// with the SDK and the dashboard (protocol/); the server's own rules on them live here.
export {
  SEVERITIES,
  severityRank,
  isMoreSevere,
  severitiesAtLeast,
  INCIDENT_TYPES,
  isIncidentType,
  TIMELINE_EVENT_TYPES,
  RESOLUTION_METHODS,
} from '@llm-incident-manager/protocol';
export type {
  Severity,
  IncidentType,
  Incident,
  Alert,
  TimelineEntry,
  TimelineEventType,
  Resolution,
  ResolutionMethod,
  IncidentNote,
} from '@llm-incident-manager/protocol';
export * from './incident-state';
export * from './escalation-trigger';
