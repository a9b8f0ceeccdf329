import { ErrorBody, ErrorCode } from '../../common/api-error';
import { PAGERDUTY_LIMITS } from './pagerduty-event';

/**
 * PagerDuty's answer bodies (Events API v2): `{status, message, dedup_key}` on success, `{status, message,
 * errors}` on failure. The shapes, statuses and PagerDuty's own strings come from its documentation, OpenAPI
 * document and observed answers; where PagerDuty documents nothing (a key lacking a scope, the size limit, the
 * content type, a server error), the body has the same shape with our words.
 */
export interface PagerDutyAccepted {
  status: 'success';
  message: 'Event processed';
  dedup_key: string;
}

export interface PagerDutyErrorBody {
  status: string;
  message: string;
  errors: string[];
}

export function accepted(dedupKey: string): PagerDutyAccepted {
  return { status: 'success', message: 'Event processed', dedup_key: dedupKey };
}

/** 400: the event is not one PagerDuty would accept. */
export function invalidEvent(errors: string[]): PagerDutyErrorBody {
  return { status: 'invalid event', message: 'Event object is invalid', errors };
}

/** 400 for a body that is not JSON (PagerDuty's OpenAPI example of an error). */
export const UNRECOGNIZED_OBJECT: PagerDutyErrorBody = {
  status: 'Unrecognized object',
  message: 'Event object format is unrecognized',
  errors: ['JSON parse error'],
};

/** 429, as PagerDuty answers a sender over its rate (with Retry-After here). */
export const THROTTLED: PagerDutyErrorBody = {
  status: 'throttle exceeded',
  message: 'Requests for this service are arriving too quickly.  Please retry later.',
  errors: ['Enhance Your Calm.'],
};

/** secure-json-parse's refusal of a `__proto__` or `constructor.prototype` key (the body parser's first check). */
const FORBIDDEN_KEY = /forbidden prototype property/;

/** A routing key that authenticates nobody: PagerDuty's 400 `Invalid routing key`. */
export const INVALID_ROUTING_KEY = 'Invalid routing key';

/**
 * The PagerDuty answer for one of our contract error bodies (what the framework answered before the route ran:
 * body parsing, size, content type, the per-address flood limit; or any other error): same status.
 */
export function fromContractError({ error }: ErrorBody): PagerDutyErrorBody {
  switch (error.code) {
    case ErrorCode.Validation:
      // Text that is not JSON at all; JSON with a prototype-poisoning key is an invalid event, said as such.
      return error.message.startsWith('Malformed JSON body') && !FORBIDDEN_KEY.test(error.message)
        ? UNRECOGNIZED_OBJECT
        : invalidEvent([error.message]);
    case ErrorCode.PayloadTooLarge:
      return invalidEvent([
        `Event object exceeds the size limit of ${PAGERDUTY_LIMITS.eventBytes / 1024} KB`,
      ]);
    case ErrorCode.UnsupportedMediaType:
      return { status: 'unsupported media type', message: error.message, errors: [error.message] };
    case ErrorCode.RateLimitExceeded:
      return THROTTLED;
    case ErrorCode.Authentication:
    case ErrorCode.Authorization:
      return invalidEvent([INVALID_ROUTING_KEY]);
    case ErrorCode.Internal:
      return {
        status: 'internal error',
        message: 'Internal server error',
        errors: ['Internal server error'],
      };
    case ErrorCode.NotFound:
    case ErrorCode.InvalidStateTransition:
    case ErrorCode.Conflict:
      return { status: 'error', message: error.message, errors: [error.message] };
  }
}

/** Whether a parsed answer body is our contract's error body. */
export function isContractErrorBody(body: unknown): body is ErrorBody {
  if (typeof body !== 'object' || body === null || !('error' in body)) return false;
  const { error } = body;
  return typeof error === 'object' && error !== null && 'code' in error && 'message' in error;
}
