import type { Incident, IncidentState, TimelineEntry } from '../domain';

/**
 * When an incident was acknowledged and first resolved, read from its timeline: the one record every writer keeps,
 * so that the incidents table's `acknowledged_at` and `first_resolved_at` columns (derived on every write, like
 * `last_alert_at`) and the time-to-acknowledge and time-to-resolve histograms agree without any writer knowing of
 * them.
 *
 * - Acknowledged: the first move from Detected to a working state (Triaged, Investigating, Remediating), whether by
 *   POST /acknowledge, a PATCH of the state, a playbook or a PagerDuty acknowledge. A move from Detected straight to
 *   Resolved or Closed is not an acknowledgement: automated resolutions (an Alertmanager or PagerDuty resolve) would
 *   otherwise count how long the alert fired as the time someone took to respond. Such an incident has a time to
 *   resolve and no time to acknowledge. Moving back to Detected and out again does not acknowledge it a second time.
 * - Resolved: the first time it reached Resolved. A reopened and re-resolved incident keeps its first resolution:
 *   a histogram cannot take an observation back, and counting the incident once makes the histogram's `_count` the
 *   number of incidents resolved and `_sum / _count` the mean time per incident. Closing without resolving is not
 *   a resolution.
 */
export const WORKING_STATES: readonly IncidentState[] = ['Triaged', 'Investigating', 'Remediating'];

export interface ResponseTimes {
  acknowledged_at: string | null;
  first_resolved_at: string | null;
}

/** Whether this timeline entry is an acknowledgement (see the comment above). */
function isAcknowledgement(entry: TimelineEntry): boolean {
  return (
    entry.event_type === 'StateChanged' &&
    entry.metadata.from === 'Detected' &&
    WORKING_STATES.includes(entry.metadata.to as IncidentState)
  );
}

/**
 * One pass over the timeline, stopping once both are found. Cheaper than the JSON serialisation of the same timeline
 * that every write does anyway.
 */
export function responseTimes(incident: Pick<Incident, 'timeline'>): ResponseTimes {
  let acknowledged: string | null = null;
  let resolved: string | null = null;
  for (const entry of incident.timeline) {
    if (acknowledged === null && isAcknowledgement(entry)) acknowledged = entry.timestamp;
    else if (resolved === null && entry.event_type === 'Resolved') resolved = entry.timestamp;
    if (acknowledged !== null && resolved !== null) break;
  }
  return { acknowledged_at: acknowledged, first_resolved_at: resolved };
}

/** What a committed change did for the response-time histograms: seconds since the incident was created. */
export interface ResponseObservations {
  acknowledgedAfter: number | null;
  resolvedAfter: number | null;
}

/**
 * Whether the change from `before` to `after` was the incident's acknowledgement or its first resolution, and after
 * how many seconds (from `created_at`). Only a change of state can be either, so the timeline is read only then.
 */
export function observationsOf(
  before: Pick<Incident, 'state'>,
  after: Pick<Incident, 'state' | 'created_at' | 'timeline'>,
): ResponseObservations {
  const observed: ResponseObservations = { acknowledgedAfter: null, resolvedAfter: null };
  if (before.state === after.state) return observed;
  const { timeline } = after;
  const created = Date.parse(after.created_at);
  if (before.state === 'Detected' && WORKING_STATES.includes(after.state)) {
    // The change appended one state change, the last in the timeline: it is the acknowledgement when it is the first.
    const first = timeline.findIndex(isAcknowledgement);
    if (first >= 0 && first === lastIndex(timeline, (e) => e.event_type === 'StateChanged')) {
      observed.acknowledgedAfter = secondsBetween(created, timeline[first].timestamp);
    }
  }
  if (after.state === 'Resolved') {
    const first = timeline.findIndex((e) => e.event_type === 'Resolved');
    if (first >= 0 && first === lastIndex(timeline, (e) => e.event_type === 'Resolved')) {
      observed.resolvedAfter = secondsBetween(created, timeline[first].timestamp);
    }
  }
  return observed;
}

function lastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i])) return i;
  return -1;
}

/** Never negative: a clock stepped back between creation and the change counts as 0. */
function secondsBetween(fromMs: number, to: string): number {
  return Math.max(0, (Date.parse(to) - fromMs) / 1000);
}
