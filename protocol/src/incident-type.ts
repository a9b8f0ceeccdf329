export const INCIDENT_TYPES = [
  'Infrastructure',
  'Application',
  'Security',
  'Data',
  'Performance',
  'Availability',
  'Compliance',
  'Unknown',
] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export function isIncidentType(value: unknown): value is IncidentType {
  return typeof value === 'string' && (INCIDENT_TYPES as readonly string[]).includes(value);
}
