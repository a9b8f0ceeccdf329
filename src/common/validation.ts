import { ArgumentMetadata, ValidationPipe, ValidationError as ClassValidatorError } from '@nestjs/common';
import { ValidateIf, ValidationOptions } from 'class-validator';
import { ValidationError } from './api-error';
import { fastBodyValidatorFor } from './fast-body-validation';
import { findUnacceptableJson } from './untrusted-json';

/**
 * Like @IsOptional but only for an absent field: `null` still goes through the other validators and fails, as the
 * contract says `null` where a value is expected is a 400.
 */
export function IsOptionalButNotNull(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined, options);
}

/**
 * A query parameter's digits as a number, when they are an integer a JavaScript number holds exactly; anything
 * else (other text, or digits beyond 2^53 that would silently round) is left as it came, for `@IsInt` to refuse.
 */
export const toSafeInteger = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value))
    ? Number(value)
    : value;

/**
 * Constraints that check a value's type. When one fails, the others on the same property (lengths, ranges, enum
 * members) only repeat the problem, so only the type's message is given: `PORT must be an integer number`, not also
 * its range.
 */
const TYPE_CONSTRAINTS: ReadonlySet<string> = new Set([
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isArray',
  'isObject',
]);

/** The messages worth reading among a property's failed constraints: its type's when that failed, else all. */
export function relevantConstraintMessages(constraints: Record<string, string> = {}): string[] {
  const failed = Object.entries(constraints);
  const typeFailures = failed.filter(([name]) => TYPE_CONSTRAINTS.has(name));
  return (typeFailures.length > 0 ? typeFailures : failed).map(([, message]) => message);
}

/**
 * One message per failing property, with its path (`alerts.0.status`). A required property that is absent is
 * `<path> is required` rather than the list of constraints an absent value fails; this needs the pipe's
 * `validationError.value` (without it every error looks absent, and the constraints are listed as before).
 */
export function flattenValidationErrors(errors: ClassValidatorError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    if (e.property !== undefined && Object.hasOwn(e, 'value') && e.value === undefined && e.constraints) {
      return [`${path} is required`];
    }
    const own = relevantConstraintMessages(e.constraints).map((c) =>
      c.startsWith(e.property) ? `${parent ? parent + '.' : ''}${c}` : `${path}: ${c}`,
    );
    return [...own, ...flattenValidationErrors(e.children ?? [], path)];
  });
}

/**
 * The global pipe for HTTP: strips unknown top-level fields, validates the rest, answers VALIDATION_ERROR. Query
 * strings and path parameters get the checks the body parser gives bodies (a NUL character in `?source=` was a
 * 500 on PostgreSQL).
 */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'query' || metadata.type === 'param') {
      const where = metadata.data ?? `the ${metadata.type === 'query' ? 'query string' : 'path'}`;
      const problem = findUnacceptableJson(value, where);
      if (problem !== undefined) throw new ValidationError(problem);
    }
    if (metadata.type === 'body') {
      // class-transformer and class-validator cost tens of µs per alert; a registered fast check answers the same
      // for the bodies it is sure about, and leaves the rest (every invalid one among them) to the path below.
      const accepted = fastBodyValidatorFor(metadata.metatype)?.(value);
      if (accepted !== undefined) return accepted;
    }
    return super.transform(value, metadata) as Promise<unknown>;
  }
}

export function apiValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    transform: true,
    whitelist: true,
    forbidUnknownValues: true,
    // `value` tells an absent property (`source is required`) from an invalid one; it never reaches the answer.
    validationError: { target: false, value: true },
    exceptionFactory: (errors) => new ValidationError(flattenValidationErrors(errors).join('; ')),
  });
}
