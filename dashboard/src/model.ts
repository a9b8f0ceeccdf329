import {
  ACTIVE_STATES,
  SEVERITIES,
  isActiveState,
  severityRank,
  type Incident,
  type IncidentState,
  type Severity,
  type SubscriptionFilterInput,
} from '@llm-incident-manager/protocol';

/** What the board shows: the active incidents that match these (empty = any). */
export interface BoardFilters {
  severities: Severity[];
  states: IncidentState[];
  labels: Record<string, string>;
}

export const NO_FILTERS: BoardFilters = { severities: [], states: [], labels: {} };

/** The subscription for the board: only the keys that restrict something. */
export function subscriptionFilters(filters: BoardFilters): SubscriptionFilterInput {
  const input: SubscriptionFilterInput = {};
  if (filters.severities.length > 0) input.severities = filters.severities;
  if (filters.states.length > 0) input.states = filters.states;
  if (Object.keys(filters.labels).length > 0) input.labels = filters.labels;
  return input;
}

/**
 * Whether the board shows this incident: active, and inside the filters. The server sends the change that takes an
 * incident out of a filtered view (matched before and after the change); this decides to drop it.
 */
export function onBoard(incident: Incident, filters: BoardFilters): boolean {
  if (!isActiveState(incident.state)) return false;
  if (filters.severities.length > 0 && !filters.severities.includes(incident.severity)) return false;
  if (filters.states.length > 0 && !filters.states.includes(incident.state)) return false;
  return Object.entries(filters.labels).every(([key, value]) => incident.labels[key] === value);
}

/** Most severe first, then newest first. */
export function compareIncidents(a: Incident, b: Incident): number {
  return severityRank(a.severity) - severityRank(b.severity) || b.created_at.localeCompare(a.created_at);
}

/** `env=prod, team=db` as labels, or the reason it is not a list of pairs. */
export function parseLabels(text: string): Record<string, string> | string {
  const labels: Record<string, string> = {};
  for (const part of text.split(',')) {
    const pair = part.trim();
    if (pair === '') continue;
    const at = pair.indexOf('=');
    if (at <= 0) return `"${pair}" is not key=value`;
    labels[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
  }
  return labels;
}

export function formatLabels(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(', ');
}

/** The filters in the address (`#sev=P0,P1&state=Detected&labels=env=prod`), so a screen can be bookmarked. */
export function filtersFromHash(hash: string): BoardFilters {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const list = (key: string): string[] => (params.get(key) ?? '').split(',').filter((v) => v !== '');
  const labels = parseLabels(params.get('labels') ?? '');
  return {
    severities: SEVERITIES.filter((s) => list('sev').includes(s)),
    states: ACTIVE_STATES.filter((s) => list('state').includes(s)),
    labels: typeof labels === 'string' ? {} : labels,
  };
}

export function filtersToHash(filters: BoardFilters): string {
  const params = new URLSearchParams();
  if (filters.severities.length > 0) params.set('sev', filters.severities.join(','));
  if (filters.states.length > 0) params.set('state', filters.states.join(','));
  const labels = Object.entries(filters.labels).map(([k, v]) => `${k}=${v}`);
  if (labels.length > 0) params.set('labels', labels.join(','));
  const text = params.toString();
  return text === '' ? '' : `#${text}`;
}
