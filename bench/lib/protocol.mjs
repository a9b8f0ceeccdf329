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
