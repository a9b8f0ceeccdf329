export const INCIDENT_STATES = [
  'Detected',
  'Triaged',
  'Investigating',
  'Remediating',
  'Resolved',
  'Closed',
] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

export const ACTIVE_STATES: readonly IncidentState[] = [
  'Detected',
  'Triaged',
  'Investigating',
  'Remediating',
];

export function isActiveState(state: IncidentState): boolean {
  return ACTIVE_STATES.includes(state);
}

/**
 * Contract rule: an active state may move to any other state; Resolved may move to Closed or back to an active
 * state (reopen); Closed is terminal. Moving to the same state is not a transition and is always allowed.
 */
export function canTransition(from: IncidentState, to: IncidentState): boolean {
  if (from === to) return from !== 'Closed';
  if (from === 'Closed') return false;
  return true;
}
