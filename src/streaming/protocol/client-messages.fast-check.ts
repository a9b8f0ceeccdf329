import { isUUID } from 'class-validator';
import { INCIDENT_STATES, IncidentState, SEVERITIES, Severity } from '../../domain';
import { EVENT_TYPES, EventType } from '../../events/event.types';
import { FastBodyValidator, registerFastBodyValidator } from '../../common/fast-body-validation';
import {
  copyStringMap,
  isJsonObject,
  isJsonPrimitive,
  isMemberOf,
  surelyFitsLength,
} from '../../common/fast-check-guards';
import { isRfc3339 } from '../../common/rfc3339';
import { SubscriptionFiltersDto } from '../../common/subscription-filters';
import {
  AckMessageDto,
  MAX_CLIENT_ID_LENGTH,
  PingMessageDto,
  SubscribeMessageDto,
  UnsubscribeMessageDto,
} from './client-messages.dto';

/*
 * Fast checks of the WebSocket client messages `subscribe`, `unsubscribe`, `ping` and `ack`, registered for
 * StreamValidationPipe. Each accepts only what the decorators of its DTO accept, and returns what the pipe returns
 * then; anything it is not sure about is `undefined`, for class-validator to judge and word (INVALID_MESSAGE).
 *
 * What the pipe (transform, forbidUnknownValues, no whitelist) does to a message, and why the result here is the same:
 * - class-transformer builds `new Dto()` (whose declared fields are own properties, `undefined` until set) and sets
 *   each key of the message in the message's order, `filters` as `new SubscriptionFiltersDto()` (its @Type), arrays
 *   and objects as fresh copies, primitives as they are. Here the same instances are built and set in the same
 *   order, so `JSON.stringify(filters)`, the key under which SubscriptionFilter.from shares compiled filters, is the
 *   same too.
 * - Without whitelist, unknown top-level keys stay on the instance (`type` among them). Those holding a primitive are
 *   copied here; one holding an object or array, or named after something on the DTO's prototype (`constructor`,
 *   `toString`: class-transformer skips those, Nest deletes `constructor`), falls back.
 * - An unknown filter key is refused by HasOnlyKeys (except the ones class-transformer skips): it falls back.
 *   `label_matchers` falls back too (regexes compiled under a size budget, see label-matchers.ts), and so does a
 *   label named after an Object.prototype member (class-transformer drops it).
 * - The frame parser has already refused reserved keys, NUL characters and deep nesting; the checks do not rely on it.
 */

/** What a field rule answers when it is not sure the value passes: the whole message then falls back. */
const UNSURE = Symbol('unsure');
type Unsure = typeof UNSURE;

/** For each field of the DTO: the value class-transformer would set, when its decorators surely accept it. */
type FieldRules<T> = { readonly [K in keyof T]-?: (value: unknown) => T[K] | Unsure };

interface MessageShape<T> {
  readonly rules: FieldRules<T>;
  /** Fields without IsOptionalButNotNull: absent, they fail. */
  readonly required: readonly (keyof T & string)[];
  /** Whether keys without a rule stay on the instance (no whitelist) or are refused (HasOnlyKeys). */
  readonly otherKeys: 'kept' | 'refused';
}

/** The fast check of a DTO whose fields are all primitives, arrays or nested DTOs handled by `shape.rules`. */
function messageCheck<T extends object>(dtoClass: new () => T, shape: MessageShape<T>): FastBodyValidator<T> {
  const rules = new Map<string, (value: unknown) => unknown>(Object.entries(shape.rules));
  return (body: unknown): T | undefined => {
    if (!isJsonObject(body)) return undefined;
    const dto = new dtoClass();
    const properties = dto as Record<string, unknown>;
    for (const key of Object.keys(body)) {
      const value = body[key];
      const rule = rules.get(key);
      if (rule !== undefined) {
        const accepted = rule(value);
        if (accepted === UNSURE) return undefined;
        properties[key] = accepted;
      } else if (shape.otherKeys === 'kept' && isKeptAsIs(dtoClass, key, value)) {
        properties[key] = value;
      } else {
        return undefined;
      }
    }
    for (const key of shape.required) {
      if (dto[key] === undefined) return undefined;
    }
    return dto;
  };
}

/**
 * An unknown key class-transformer copies onto the instance with its value unchanged: not shadowing anything on
 * the prototype chain (those it skips, and Nest deletes `constructor` and `prototype`), holding a JSON primitive.
 */
function isKeptAsIs(dtoClass: new () => object, key: string, value: unknown): boolean {
  return !(key in dtoClass.prototype) && key !== 'prototype' && isJsonPrimitive(value);
}

/** A JSON array (index loop: a hole reads as undefined, which no item rule accepts, so it falls back). */
function copyList<T>(value: unknown, isItem: (item: unknown) => item is T): T[] | Unsure {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return UNSURE;
  const copy: T[] = [];
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    if (!isItem(item)) return UNSURE;
    copy.push(item);
  }
  return copy;
}

const isEventType = isMemberOf<EventType>(EVENT_TYPES);
const isSeverity = isMemberOf<Severity>(SEVERITIES);
const isIncidentState = isMemberOf<IncidentState>(INCIDENT_STATES);
const isString = (value: unknown): value is string => typeof value === 'string';
/** @IsUUID('all', { each: true }): class-validator's own isUUID, the same call. */
const isAnyUuid = (value: unknown): value is string => isUUID(value, 'all');

/** Always unsure: the field takes class-validator's path whenever it is present. */
const alwaysUnsure = (): Unsure => UNSURE;

export const fastSubscriptionFilters = messageCheck(SubscriptionFiltersDto, {
  rules: {
    event_types: (value) => copyList(value, isEventType),
    severities: (value) => copyList(value, isSeverity),
    states: (value) => copyList(value, isIncidentState),
    sources: (value) => copyList(value, isString),
    affected_resources: (value) => copyList(value, isString),
    labels: (value) => copyStringMap(value) ?? UNSURE,
    incident_ids: (value) => copyList(value, isAnyUuid),
    label_matchers: alwaysUnsure,
    min_severity: (value) => (isSeverity(value) ? value : UNSURE),
  },
  required: [],
  otherKeys: 'refused',
});

/** A client id field: `@IsString() @Length(1, MAX_CLIENT_ID_LENGTH)`. */
const clientId = (value: unknown): string | Unsure =>
  surelyFitsLength(value, 1, MAX_CLIENT_ID_LENGTH) ? value : UNSURE;

/** subscribe: filters as a SubscriptionFiltersDto; resume_from an integer 0..2^53-1; snapshot a boolean. */
export const fastSubscribeMessage = messageCheck(SubscribeMessageDto, {
  rules: {
    subscription_id: clientId,
    filters: (value) => fastSubscriptionFilters(value) ?? UNSURE,
    resume_from: (value) =>
      typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= Number.MAX_SAFE_INTEGER
        ? value
        : UNSURE,
    snapshot: (value) => (typeof value === 'boolean' ? value : UNSURE),
  },
  required: ['subscription_id', 'filters'],
  otherKeys: 'kept',
});

export const fastUnsubscribeMessage = messageCheck(UnsubscribeMessageDto, {
  rules: { subscription_id: clientId },
  required: ['subscription_id'],
  otherKeys: 'kept',
});

/** ping: @IsRfc3339, the same function its decorator calls. */
export const fastPingMessage = messageCheck(PingMessageDto, {
  rules: { timestamp: (value) => (typeof value === 'string' && isRfc3339(value) ? value : UNSURE) },
  required: ['timestamp'],
  otherKeys: 'kept',
});

export const fastAckMessage = messageCheck(AckMessageDto, {
  rules: { message_id: clientId },
  required: ['message_id'],
  otherKeys: 'kept',
});

// `auth` is left to class-validator: one message per token refresh, not worth a second copy of its rules.
registerFastBodyValidator(SubscribeMessageDto, fastSubscribeMessage);
registerFastBodyValidator(UnsubscribeMessageDto, fastUnsubscribeMessage);
registerFastBodyValidator(PingMessageDto, fastPingMessage);
registerFastBodyValidator(AckMessageDto, fastAckMessage);
