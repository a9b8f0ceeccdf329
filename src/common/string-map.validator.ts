import { ValidationArguments, ValidationOptions, registerDecorator } from 'class-validator';

export const LIMITS = {
  source: 255,
  title: 500,
  description: 10_000,
  mapEntries: 64,
  mapKey: 128,
  mapValue: 1024,
  listItems: 64,
  listItem: 255,
  actor: 255,
  comment: 10_000,
} as const;

export interface StringMapLimits {
  maxEntries: number;
  maxKeyLength: number;
  maxValueLength: number;
}

const DEFAULT_STRING_MAP_LIMITS: StringMapLimits = {
  maxEntries: LIMITS.mapEntries,
  maxKeyLength: LIMITS.mapKey,
  maxValueLength: LIMITS.mapValue,
};

/**
 * The rule of @IsStringMap, also used by the fast body checks (one definition): at most `maxEntries` entries,
 * non-empty keys up to `maxKeyLength`, string values up to `maxValueLength` (JavaScript lengths).
 */
export function isStringMap(value: unknown, limits: StringMapLimits = DEFAULT_STRING_MAP_LIMITS): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > limits.maxEntries) return false;
  return entries.every(
    ([k, v]) =>
      k.length > 0 &&
      k.length <= limits.maxKeyLength &&
      typeof v === 'string' &&
      v.length <= limits.maxValueLength,
  );
}

/**
 * A `{string: string}` object: at most `maxEntries` entries, non-empty keys up to `maxKeyLength`, values up to
 * `maxValueLength`. Arrays, nulls and non-string values are rejected.
 */
export function IsStringMap(
  limits: StringMapLimits = DEFAULT_STRING_MAP_LIMITS,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isStringMap',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate(value: unknown): boolean {
          return isStringMap(value, limits);
        },
        defaultMessage(args: ValidationArguments): string {
          return `${args.property} must be an object of at most ${limits.maxEntries} string values with keys of 1..${limits.maxKeyLength} and values up to ${limits.maxValueLength} characters`;
        },
      },
    });
  };
}
