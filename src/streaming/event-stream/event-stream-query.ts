import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { FILTER_KEYS, SubscriptionFiltersDto } from '../../common/subscription-filters';
import { ValidationError } from '../../common/api-error';
import { RESERVED_KEYS, findUnacceptableJson } from '../../common/untrusted-json';
import { flattenValidationErrors } from '../../common/validation';

/** What `GET /v1/stream` subscribes to. */
export interface EventStreamRequest {
  filters: SubscriptionFiltersDto;
  resumeFrom?: number;
  snapshot: boolean;
}

/** The keys whose value is a comma-separated list; `labels`, `label_matchers` and `min_severity` are read apart. */
const LIST_KEYS = FILTER_KEYS.filter(
  (key) => key !== 'labels' && key !== 'label_matchers' && key !== 'min_severity',
);
const OTHER_KEYS = ['resume_from', 'snapshot'];
const DIGITS = /^\d{1,16}$/;

/**
 * The query of `GET /v1/stream`: the subscription filters with lists comma-separated (`severities=P0,P1`) and
 * labels as `key:value` pairs (`labels=env:prod,team:db`), `label_matchers` as the JSON array a WebSocket
 * subscription sends (URL-encoded: a regex may hold commas and colons, so no list syntax could carry it),
 * `min_severity=P1`, `resume_from`, or the `Last-Event-ID` header an EventSource sends when it reconnects, and
 * `snapshot=true`. Validated exactly like a WebSocket `subscribe`: an
 * unknown parameter, a repeated one, an unknown enum value or a malformed pair is a 400, never ignored (ignoring it
 * would widen the stream).
 */
export function parseEventStreamQuery(
  query: Readonly<Record<string, unknown>>,
  lastEventId: string | undefined,
): EventStreamRequest {
  const filters: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) {
    if (!(FILTER_KEYS as readonly string[]).includes(key) && !OTHER_KEYS.includes(key)) {
      throw new ValidationError(
        `unknown query parameter ${JSON.stringify(key)}; expected ${[...FILTER_KEYS, ...OTHER_KEYS].join(', ')}`,
      );
    }
    if (typeof value !== 'string') throw new ValidationError(`${key} must be given once`);
    if ((LIST_KEYS as readonly string[]).includes(key)) filters[key] = splitList(value);
    else if (key === 'labels') filters.labels = labelsOf(value);
    else if (key === 'label_matchers') filters.label_matchers = jsonOf(key, value);
    else if (key === 'min_severity') filters.min_severity = value;
  }
  const errors = validateSync(plainToInstance(SubscriptionFiltersDto, filters), {
    forbidUnknownValues: true,
  });
  if (errors.length > 0) throw new ValidationError(flattenValidationErrors(errors).join('; '));

  const snapshot = booleanOf(query.snapshot as string | undefined);
  let resumeFrom = sequenceOf('resume_from', query.resume_from as string | undefined);
  resumeFrom ??= sequenceOf('Last-Event-ID', lastEventId);
  if (resumeFrom !== undefined && snapshot) {
    throw new ValidationError('resume_from (or Last-Event-ID) and snapshot cannot be used together');
  }
  return { filters: filters, resumeFrom, snapshot };
}

function splitList(value: string): string[] {
  return value === '' ? [] : value.split(',');
}

function labelsOf(value: string): Record<string, string> {
  const labels = Object.create(null) as Record<string, string>;
  for (const pair of splitList(value)) {
    const colon = pair.indexOf(':');
    if (colon <= 0) throw new ValidationError(`labels must be key:value pairs, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, colon);
    if (RESERVED_KEYS.has(key)) {
      throw new ValidationError(`labels has the reserved key ${JSON.stringify(key)}`);
    }
    if (Object.hasOwn(labels, key)) throw new ValidationError(`label ${JSON.stringify(key)} given twice`);
    labels[key] = pair.slice(colon + 1);
  }
  return { ...labels };
}

/** A parameter holding JSON, with the checks a request body gets (reserved keys, NUL, depth). */
function jsonOf(key: string, value: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    throw new ValidationError(
      `${key} must be a JSON array of {name, op, value} matchers (URL-encoded): ${(error as Error).message}`,
    );
  }
  const problem = findUnacceptableJson(parsed, key);
  if (problem !== undefined) throw new ValidationError(problem);
  return parsed;
}

function booleanOf(value: string | undefined): boolean {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw new ValidationError('snapshot must be true or false');
}

function sequenceOf(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!DIGITS.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new ValidationError(`${name} must be a sequence (an integer >= 0)`);
  }
  return Number(value);
}
