import { ValidationPipe, ValidationError as ClassValidatorError } from '@nestjs/common';
import { ValidateIf, ValidationOptions } from 'class-validator';
import { ValidationError } from './api-error';

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

export function flattenValidationErrors(errors: ClassValidatorError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((c) =>
      c.startsWith(e.property) ? `${parent ? parent + '.' : ''}${c}` : `${path}: ${c}`,
    );
    return [...own, ...flattenValidationErrors(e.children ?? [], path)];
  });
}

/** The global pipe for HTTP: strips unknown top-level fields, validates the rest, answers VALIDATION_ERROR. */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationError(flattenValidationErrors(errors).join('; ')),
  });
}
