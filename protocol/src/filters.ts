import type { EventType } from './events';
import type { IncidentState } from './incident-state';
import type { Severity } from './severity';

/** Alertmanager's matcher operators: equal, not equal, regex match (fully anchored, RE2), regex non-match. */
export const MATCH_OPERATORS = ['=', '!=', '=~', '!~'] as const;
export type MatchOperator = (typeof MATCH_OPERATORS)[number];

/** A label matcher as it is sent, echoed and stored. */
export interface LabelMatcher {
  name: string;
  op: MatchOperator;
  value: string;
}

/**
 * Subscription filters as the server echoes them in `subscribed`: every key present. Within a key any value may
 * match (an empty list matches everything); across keys all must match.
 */
export interface SubscriptionFilters {
  event_types: EventType[];
  severities: Severity[];
  states: IncidentState[];
  sources: string[];
  affected_resources: string[];
  labels: Record<string, string>;
  incident_ids: string[];
  label_matchers: LabelMatcher[];
  min_severity: Severity | null;
}

/** Filters as a client sends them: any key may be left out (absent = no restriction), none may be null. */
export type SubscriptionFilterInput = Partial<Omit<SubscriptionFilters, 'min_severity'>> & {
  min_severity?: Severity;
};

export const FILTER_KEYS: readonly (keyof SubscriptionFilters)[] = [
  'event_types',
  'severities',
  'states',
  'sources',
  'affected_resources',
  'labels',
  'incident_ids',
  'label_matchers',
  'min_severity',
];
