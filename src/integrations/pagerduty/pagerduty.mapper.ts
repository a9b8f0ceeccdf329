import type { AlertInput } from '../../alerts/alert-input';
import { LIMITS } from '../../common/string-map.validator';
import { PAGERDUTY_SEVERITIES, PagerDutyEvent, PagerDutyPayload } from './pagerduty-event';

/** The PD-CEF fields that become labels; they win over a custom detail of the same name. */
const CEF_LABELS = ['component', 'group', 'class'] as const;

/**
 * A trigger event as an alert (contract section 9). PagerDuty accepts more than an alert may hold (a 1,024
 * character summary, custom details of any size and shape), and a sender whose event PagerDuty would accept must
 * not be refused here, so what does not fit is cut to fit, never refused:
 * - `title` = `payload.summary`, cut to 500 characters; the whole summary is then the description (else empty);
 * - `source` = `payload.source` (cut to 255); severity critical/error/warning/info -> P0/P1/P2/P3; type `Unknown`;
 * - labels: `component`, `group`, `class`, then every string-valued custom detail;
 * - annotations: every other custom detail (number, boolean, null, object, array) as its JSON text, a
 *   `custom_details` that is not an object likewise, then `client`, `client_url`, `links` and `images` (JSON);
 * - keys up to 128 characters (longer ones are dropped), values cut to 1,024, at most 64 entries per map (the
 *   first ones, in the event's order);
 * - `dedup_key` is the deduplication key and the alert's `external_id`; `payload.timestamp` its timestamp.
 */
export function pagerDutyAlertInput(
  event: PagerDutyEvent,
  payload: PagerDutyPayload,
  dedupKey: string,
): AlertInput {
  const labels = new BoundedMap();
  const annotations = new BoundedMap();
  for (const name of CEF_LABELS) {
    const value = payload[name];
    if (value !== undefined) labels.set(name, value);
  }
  const details = payload.custom_details;
  if (typeof details === 'object' && details !== null && !Array.isArray(details)) {
    for (const [key, value] of Object.entries(details as Record<string, unknown>)) {
      if (typeof value === 'string') {
        if (!(CEF_LABELS as readonly string[]).includes(key)) labels.set(key, value);
      } else {
        annotations.set(key, JSON.stringify(value));
      }
    }
  } else if (details !== undefined) {
    annotations.set('custom_details', typeof details === 'string' ? details : JSON.stringify(details));
  }
  if (event.client !== undefined) annotations.set('client', event.client);
  if (event.client_url !== undefined) annotations.set('client_url', event.client_url);
  if (event.links.length > 0) annotations.set('links', JSON.stringify(event.links));
  if (event.images.length > 0) annotations.set('images', JSON.stringify(event.images));

  const title = cut(payload.summary, LIMITS.title);
  return {
    external_id: dedupKey,
    dedup_key: dedupKey,
    source: cut(payload.source, LIMITS.source),
    title,
    description: title === payload.summary ? '' : payload.summary,
    severity: PAGERDUTY_SEVERITIES[payload.severity],
    alert_type: 'Unknown',
    labels: labels.entries,
    affected_services: [],
    runbook_url: null,
    annotations: annotations.entries,
    ...(payload.timestamp !== undefined && { timestamp: payload.timestamp }),
  };
}

/** A `{string: string}` map within the alert limits: the first 64 entries, keys 1..128, values cut to 1,024. */
class BoundedMap {
  readonly entries: Record<string, string> = {};
  private size = 0;

  set(key: string, value: string): void {
    if (key === '' || key.length > LIMITS.mapKey) return;
    if (!Object.hasOwn(this.entries, key)) {
      if (this.size === LIMITS.mapEntries) return;
      this.size++;
    }
    this.entries[key] = cut(value, LIMITS.mapValue);
  }
}

/** `text` within `max` characters, an ellipsis marking a cut. */
function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
