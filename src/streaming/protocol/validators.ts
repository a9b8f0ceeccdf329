import { ValidationOptions, registerDecorator } from 'class-validator';
import { isRfc3339 } from './rfc3339';

/** A strict RFC 3339 instant with an offset (see rfc3339.ts). */
export function IsRfc3339(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isRfc3339',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `${String(propertyName)} must be an RFC 3339 date-time with an offset`,
        ...options,
      },
      validator: { validate: (value: unknown) => typeof value === 'string' && isRfc3339(value) },
    });
}
