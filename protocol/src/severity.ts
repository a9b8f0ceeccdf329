export const SEVERITIES = ['P0', 'P1', 'P2', 'P3', 'P4'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Lower rank = more severe. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isMoreSevere(a: Severity, b: Severity): boolean {
  return severityRank(a) < severityRank(b);
}

/** `min` and every more severe severity (a `min_severity` filter, contract section 8): P1 -> [P0, P1]. */
export function severitiesAtLeast(min: Severity): Severity[] {
  return SEVERITIES.slice(0, severityRank(min) + 1);
}
