export const INCIDENT_STATES = [
  'Detected',
  'Triaged',
  'Investigating',
  'Remediating',
  'Resolved',
  'Closed',
] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** The states an incident is open in (a snapshot lists the incidents in one of them). */
export const ACTIVE_STATES: readonly IncidentState[] = [
  'Detected',
  'Triaged',
  'Investigating',
  'Remediating',
];

export function isActiveState(state: IncidentState): boolean {
  return ACTIVE_STATES.includes(state);
}
