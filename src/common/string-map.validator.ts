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

/**
 * A `{string: string}` object: at most `maxEntries` entries, non-empty keys up to `maxKeyLength`, values up to
 * `maxValueLength`. Arrays, nulls and non-string values are rejected.
 */
export function IsStringMap(
  limits: { maxEntries: number; maxKeyLength: number; maxValueLength: number } = {
    maxEntries: LIMITS.mapEntries,
    maxKeyLength: LIMITS.mapKey,
    maxValueLength: LIMITS.mapValue,
  },
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
        },
        defaultMessage(args: ValidationArguments): string {
          return `${args.property} must be an object of at most ${limits.maxEntries} string values with keys of 1..${limits.maxKeyLength} and values up to ${limits.maxValueLength} characters`;
        },
      },
    });
  };
}
