import type { IncidentState } from '@llm-incident-manager/protocol';

export { INCIDENT_STATES, ACTIVE_STATES, isActiveState } from '@llm-incident-manager/protocol';
export type { IncidentState } from '@llm-incident-manager/protocol';

/**
 * Contract rule: an active state may move to any other state; Resolved may move to Closed or back to an active
 * state (reopen); Closed is terminal. Moving to the same state is not a transition and is always allowed.
 */
export function canTransition(from: IncidentState, to: IncidentState): boolean {
  if (from === to) return from !== 'Closed';
  if (from === 'Closed') return false;
  return true;
}
