import type { Severity } from '../../domain';

/**
 * PagerDuty Events API v2 alert events (https://developer.pagerduty.com/docs/events-API-v2/trigger-events/), as
 * senders post them to `/v2/enqueue`: parsed by hand rather than by a DTO class so that every problem is reported in
 * PagerDuty's words (`'payload.severity' is missing or blank`), all of them at once, as PagerDuty does.
 */

export const PagerDutyAction = {
  Trigger: 'trigger',
  Acknowledge: 'acknowledge',
  Resolve: 'resolve',
} as const;
export type PagerDutyAction = (typeof PagerDutyAction)[keyof typeof PagerDutyAction];
const ACTIONS: readonly PagerDutyAction[] = Object.values(PagerDutyAction);

/** PagerDuty's severities and ours (contract section 9). */
export const PAGERDUTY_SEVERITIES = {
  critical: 'P0',
  error: 'P1',
  warning: 'P2',
  info: 'P3',
} as const satisfies Record<string, Severity>;
export type PagerDutySeverity = keyof typeof PAGERDUTY_SEVERITIES;

/** PagerDuty's own limits. */
export const PAGERDUTY_LIMITS = {
  dedupKey: 255,
  summary: 1024,
  /** "Events API payloads are limited to 512 KB". */
  eventBytes: 512 * 1024,
} as const;

export interface PagerDutyPayload {
  summary: string;
  source: string;
  severity: PagerDutySeverity;
  /** RFC 3339 UTC, normalized from the sender's ISO 8601 (`2015-07-17T08:42:58.315+0000` included). */
  timestamp?: string;
  component?: string;
  group?: string;
  class?: string;
  /** Free-form: PagerDuty documents an object; any JSON value is kept. */
  custom_details?: unknown;
}

export interface PagerDutyLink {
  href: string;
  text?: string;
}

export interface PagerDutyImage {
  src: string;
  href?: string;
  alt?: string;
}

export interface PagerDutyEvent {
  routing_key: string;
  event_action: PagerDutyAction;
  /** Absent only on a trigger (a new key is made for it). */
  dedup_key?: string;
  /** Present on a trigger; ignored (and not checked) on acknowledge and resolve, as PagerDuty does. */
  payload?: PagerDutyPayload;
  client?: string;
  client_url?: string;
  links: PagerDutyLink[];
  images: PagerDutyImage[];
}

/** The event was refused: PagerDuty's 400 `invalid event`, with one message per problem. */
export class PagerDutyInvalidEventError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid PagerDuty event: ${errors.join('; ')}`);
    this.name = 'PagerDutyInvalidEventError';
  }
}

type Json = Record<string, unknown>;

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const LAST_FOUR_DIGIT_YEAR_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Reads fields of one object, collecting PagerDuty-worded problems under their dotted path. */
class FieldReader {
  constructor(
    private readonly object: Json,
    private readonly prefix: string,
    private readonly errors: string[],
  ) {}

  /** A string field. Required: absent, null or blank is an error. Optional: absent is undefined, null an error. */
  string(name: string, required: boolean, maxLength?: number): string | undefined {
    const path = `'${this.prefix}${name}'`;
    const value = this.object[name];
    if (value === undefined || (required && (value === null || value === ''))) {
      if (required) this.errors.push(`${path} is missing or blank`);
      return undefined;
    }
    if (typeof value !== 'string') {
      this.errors.push(`${path} must be a string`);
      return undefined;
    }
    if (maxLength !== undefined && value.length > maxLength) {
      this.errors.push(`Length of ${path} is incorrect (should be at most ${maxLength} characters)`);
      return undefined;
    }
    return value;
  }

  /** An enum field, its error naming the accepted values as PagerDuty does. */
  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const value = this.string(name, true);
    if (value === undefined) return undefined;
    if ((values as readonly string[]).includes(value)) return value as T;
    const quoted = values.map((v) => `'${v}'`);
    this.errors.push(
      `'${this.prefix}${name}' is invalid (must be one of the following: ${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)})`,
    );
    return undefined;
  }

  /** An optional array of objects, each read by `item`. */
  objects<T>(name: string, item: (reader: FieldReader) => T | undefined): T[] {
    const value = this.object[name];
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.errors.push(`'${this.prefix}${name}' must be an array`);
      return [];
    }
    const items: T[] = [];
    value.forEach((element: unknown, i) => {
      const path = `${this.prefix}${name}[${i}]`;
      if (!isObject(element)) {
        this.errors.push(`'${path}' must be an object`);
        return;
      }
      const read = item(new FieldReader(element, `${path}.`, this.errors));
      if (read !== undefined) items.push(read);
    });
    return items;
  }
}

/**
 * The event in `body`, or PagerDutyInvalidEventError listing every problem. Unknown fields are ignored. What the
 * body parser already refuses everywhere (bad JSON, a NUL character, `__proto__` keys, nesting deeper than 32) never
 * gets here.
 */
export function parsePagerDutyEvent(body: unknown): PagerDutyEvent {
  if (!isObject(body)) throw new PagerDutyInvalidEventError(['Event object must be a JSON object']);
  const errors: string[] = [];
  const top = new FieldReader(body, '', errors);
  const routingKey = top.string('routing_key', true);
  const action = top.oneOf('event_action', ACTIONS);
  // Blank is absent on a trigger (a key is made), missing on the others.
  const dedupKey = top.string(
    'dedup_key',
    action !== undefined && action !== PagerDutyAction.Trigger,
    PAGERDUTY_LIMITS.dedupKey,
  );
  const client = top.string('client', false);
  const clientUrl = top.string('client_url', false);
  const links = top.objects('links', (link) => {
    const href = link.string('href', true);
    const text = link.string('text', false);
    return href === undefined ? undefined : { href, ...(text !== undefined && { text }) };
  });
  const images = top.objects('images', (image) => {
    const src = image.string('src', true);
    const href = image.string('href', false);
    const alt = image.string('alt', false);
    return src === undefined
      ? undefined
      : { src, ...(href !== undefined && { href }), ...(alt !== undefined && { alt }) };
  });
  const payload = action === PagerDutyAction.Trigger ? readPayload(body.payload, errors) : undefined;

  if (errors.length > 0 || routingKey === undefined || action === undefined) {
    throw new PagerDutyInvalidEventError(errors);
  }
  return {
    routing_key: routingKey,
    event_action: action,
    ...(dedupKey !== undefined && dedupKey !== '' && { dedup_key: dedupKey }),
    ...(payload !== undefined && { payload }),
    ...(client !== undefined && { client }),
    ...(clientUrl !== undefined && { client_url: clientUrl }),
    links,
    images,
  };
}

function readPayload(value: unknown, errors: string[]): PagerDutyPayload | undefined {
  if (value === undefined || value === null) {
    errors.push(`'payload' is missing or blank`);
    return undefined;
  }
  if (!isObject(value)) {
    errors.push(`'payload' must be an object`);
    return undefined;
  }
  const reader = new FieldReader(value, 'payload.', errors);
  const summary = reader.string('summary', true, PAGERDUTY_LIMITS.summary);
  const source = reader.string('source', true);
  const severity = reader.oneOf('severity', ['critical', 'warning', 'error', 'info'] as const);
  const timestamp = reader.string('timestamp', false);
  const component = reader.string('component', false);
  const group = reader.string('group', false);
  const eventClass = reader.string('class', false);
  let normalizedTimestamp: string | undefined;
  if (timestamp !== undefined) {
    // ISO 8601 dates with a time (Date.parse alone takes "1" or "Jan"), within four-digit years.
    const ms = ISO_TIMESTAMP.test(timestamp) ? Date.parse(timestamp) : Number.NaN;
    if (Number.isNaN(ms) || ms < 0 || ms > LAST_FOUR_DIGIT_YEAR_MS) {
      errors.push(`'payload.timestamp' is invalid (must be an ISO 8601 timestamp)`);
    } else {
      normalizedTimestamp = new Date(ms).toISOString();
    }
  }
  if (summary === undefined || source === undefined || severity === undefined) return undefined;
  return {
    summary,
    source,
    severity,
    ...(normalizedTimestamp !== undefined && { timestamp: normalizedTimestamp }),
    ...(component !== undefined && { component }),
    ...(group !== undefined && { group }),
    ...(eventClass !== undefined && { class: eventClass }),
    ...(value.custom_details !== undefined && { custom_details: value.custom_details }),
  };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
