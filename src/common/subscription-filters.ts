import { plainToInstance } from 'class-transformer';
import {
  IsArray,
  IsIn,
  IsString,
  IsUUID,
  ValidationArguments,
  ValidationOptions,
  registerDecorator,
  validateSync,
} from 'class-validator';
import { INCIDENT_STATES, IncidentState, SEVERITIES, Severity } from '../domain';
import { EVENT_TYPES, EventType } from '../events/event.types';
import { IsLabelMatchers, LabelMatcher } from './label-matchers';
import { IsStringMap } from './string-map.validator';
import { IsOptionalButNotNull, flattenValidationErrors } from './validation';

// The filters' wire shape is defined once, in the protocol package.
import { FILTER_KEYS, type SubscriptionFilters } from '@llm-incident-manager/protocol';

export { FILTER_KEYS };
export type { SubscriptionFilters };

/**
 * Subscription filters as the client sends them. Every key is optional (absent = match everything) but never
 * `null`; an unknown key, an unknown enum value or a wrong type is rejected rather than ignored, because ignoring
 * it would silently widen the subscription.
 */
export class SubscriptionFiltersDto {
  @IsOptionalButNotNull()
  @IsArray()
  @IsIn(EVENT_TYPES, { each: true })
  event_types?: EventType[];

  @IsOptionalButNotNull()
  @IsArray()
  @IsIn(SEVERITIES, { each: true })
  severities?: Severity[];

  @IsOptionalButNotNull()
  @IsArray()
  @IsIn(INCIDENT_STATES, { each: true })
  states?: IncidentState[];

  @IsOptionalButNotNull()
  @IsArray()
  @IsString({ each: true })
  sources?: string[];

  @IsOptionalButNotNull()
  @IsArray()
  @IsString({ each: true })
  affected_resources?: string[];

  @IsOptionalButNotNull()
  // The same bounds as the labels an incident can carry: a filter on a label that cannot exist matches nothing.
  @IsStringMap()
  labels?: Record<string, string>;

  @IsOptionalButNotNull()
  @IsArray()
  @IsUUID('all', { each: true })
  incident_ids?: string[];

  /** Alertmanager-style matchers on the labels (contract section 8), all of which must hold; see label-matchers.ts. */
  @IsOptionalButNotNull()
  @IsLabelMatchers()
  label_matchers?: LabelMatcher[];

  /** That severity and every more severe one (P0 is the most severe). */
  @IsOptionalButNotNull()
  @IsIn(SEVERITIES)
  min_severity?: Severity;
}

/**
 * Whether `value` is a filter object exactly as a subscription would accept it: only the known keys, each valid.
 * Checked on its own (not through a parent DTO, whose `whitelist` would strip an unknown key before any rule saw
 * it: a misspelt key must be refused, never dropped, or it would widen what the filter lets through).
 */
export function isSubscriptionFilters(value: unknown): value is SubscriptionFiltersDto {
  return subscriptionFiltersProblem(value) === undefined;
}

/** What makes `value` not a filter object (the first problems found), or undefined when it is one. */
function subscriptionFiltersProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const unknown = Object.keys(value).find((key) => !(FILTER_KEYS as readonly string[]).includes(key));
  if (unknown !== undefined) return `unknown key ${JSON.stringify(unknown)}`;
  const errors = validateSync(plainToInstance(SubscriptionFiltersDto, value), { forbidUnknownValues: true });
  return errors.length === 0 ? undefined : flattenValidationErrors(errors).join('; ');
}

/** A property holding a filter object (see isSubscriptionFilters). */
export function IsSubscriptionFilters(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isSubscriptionFilters',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: (args: ValidationArguments) =>
          `${String(propertyName)} must be a filter object with only the keys ${FILTER_KEYS.join(', ')}, each ` +
          `valid (${subscriptionFiltersProblem(args.value) ?? 'invalid'})`,
        ...options,
      },
      validator: { validate: isSubscriptionFilters },
    });
}
