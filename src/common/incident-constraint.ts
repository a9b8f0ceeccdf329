import { type Incident, severityRank } from '../domain';
import { labelMatchersOf } from './label-matchers';
import type { SubscriptionFiltersDto } from './subscription-filters';

/**
 * A credential's constraint (contract section 6, "Constraint"): the subscription filter keys, validated when the
 * credential was made (isSubscriptionFilters). On REST it is AND-ed into every read and every write addressed to an
 * incident: an incident outside it is answered exactly as a missing one.
 */
export type IncidentConstraint = Readonly<SubscriptionFiltersDto>;

/** The fields of an incident a constraint looks at. */
export type ConstrainedFields = Pick<
  Incident,
  'id' | 'severity' | 'state' | 'source' | 'affected_resources' | 'labels'
>;

/**
 * Whether the incident lies inside the constraint: the semantics of the WebSocket's SubscriptionFilter for an
 * incident event (a unit test compares the two on random incidents). Keys are AND-ed; an empty or missing key
 * matches everything; severity, state, source and incident id must be one of the listed values (ids compared
 * lowercase); `affected_resources` needs any one in common; `labels` needs every pair; `label_matchers` every
 * matcher (compiled once per constraint object); `min_severity` that severity or a more severe one. `event_types` is
 * not about the incident: only the event log applies it (eventTypeAllowed).
 */
export function incidentMatchesConstraint(
  incident: ConstrainedFields,
  constraint: IncidentConstraint,
): boolean {
  const { severities, states, sources, incident_ids, affected_resources, labels, min_severity } = constraint;
  if (severities?.length && !severities.includes(incident.severity)) return false;
  if (min_severity !== undefined && severityRank(incident.severity) > severityRank(min_severity)) {
    return false;
  }
  if (states?.length && !states.includes(incident.state)) return false;
  if (sources?.length && !sources.includes(incident.source)) return false;
  if (incident_ids?.length) {
    const id = incident.id.toLowerCase();
    if (!incident_ids.some((wanted) => wanted.toLowerCase() === id)) return false;
  }
  if (
    affected_resources?.length &&
    !affected_resources.some((r) => incident.affected_resources.includes(r))
  ) {
    return false;
  }
  if (labels) {
    for (const [key, value] of Object.entries(labels)) {
      if (!Object.hasOwn(incident.labels, key) || incident.labels[key] !== value) return false;
    }
  }
  if (constraint.label_matchers?.length) {
    // A list that does not compile (a token minted with one) matches nothing: a constraint never widens.
    const matchers = labelMatchersOf(constraint.label_matchers);
    if (matchers === null || !matchers.matches(incident.labels)) return false;
  }
  return true;
}

/** Whether the constraint says anything about incidents (every key but `event_types`). */
export function constrainsIncidents(constraint: IncidentConstraint): boolean {
  return (
    (constraint.severities?.length ?? 0) > 0 ||
    (constraint.states?.length ?? 0) > 0 ||
    (constraint.sources?.length ?? 0) > 0 ||
    (constraint.incident_ids?.length ?? 0) > 0 ||
    (constraint.affected_resources?.length ?? 0) > 0 ||
    Object.keys(constraint.labels ?? {}).length > 0 ||
    (constraint.label_matchers?.length ?? 0) > 0 ||
    constraint.min_severity !== undefined
  );
}

/**
 * Whether the constraint needs matching in memory: the keys stored only inside the incident's JSON document, and
 * the keys IncidentsRepository does not turn into SQL (`min_severity`, `label_matchers`).
 */
export function constrainsDocument(constraint: IncidentConstraint): boolean {
  return (
    (constraint.affected_resources?.length ?? 0) > 0 ||
    Object.keys(constraint.labels ?? {}).length > 0 ||
    (constraint.label_matchers?.length ?? 0) > 0 ||
    constraint.min_severity !== undefined
  );
}

/** Whether an event of this type may be shown under the constraint (its `event_types`; empty: any). */
export function eventTypeAllowed(type: string, constraint: IncidentConstraint): boolean {
  const types: readonly string[] | undefined = constraint.event_types;
  return !types?.length || types.includes(type);
}
