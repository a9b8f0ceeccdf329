// What the bench puts on the wire, shared by the alert poster and the client workers.

/** Every bench alert's title is `bench#<seq>@<monotonic µs when sent> <run id>`. */
export const TITLE_MARKER = 'bench#';

/** The event every matching client subscribes to: exactly one delivery per new alert. */
export const MATCHED_EVENT = 'incident_created';

/** Filters of the matching and non-matching subscriptions: same event type, another severity. */
export function subscriptionFilters(severity = 'P0', otherSeverity = 'P1') {
  return {
    matchingFilters: { event_types: [MATCHED_EVENT], severities: [severity] },
    nonMatchingFilters: { event_types: [MATCHED_EVENT], severities: [otherSeverity] },
  };
}

/**
 * `--matchers KIND` (BENCH_MATCHERS): half the clients (every other one) add two regex label matchers to their
 * filter, which hold for every bench alert (`env: bench`, a numeric `bench_seq`), so who matches is unchanged and the
 * server pays for the regexes. `regex`: the same two patterns for all of them, so identical filters still share one
 * group and are matched once per event (dashboards with the same view); `regex-distinct`: the second pattern is
 * unique per client, so no two of them share a group and every one is matched per event (the worst case).
 */
export const MATCHER_KINDS = ['none', 'regex', 'regex-distinct'];

export function withMatchers(filters, kind, index) {
  if (kind === undefined || kind === 'none' || index % 2 === 1) return filters;
  const unique = kind === 'regex-distinct' ? `|c${process.pid}-${index}` : '';
  return {
    ...filters,
    label_matchers: [
      { name: 'env', op: '=~', value: 'bench|staging-.*' },
      { name: 'bench_seq', op: '=~', value: `[0-9]+${unique}` },
    ],
  };
}
