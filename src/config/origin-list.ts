import { ValidationOptions, registerDecorator } from 'class-validator';
import { ANY_ORIGIN, normalizeOrigin } from '../common/origin';

/** `https://a.example, http://localhost:3000,*` -> its entries, trimmed, without empty ones. */
function entries(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** A validated origin list as the configuration holds it: normalized origins, `*` kept as it is. */
export function parseOriginList(value: string): string[] {
  return entries(value).map((entry) => (entry === ANY_ORIGIN ? entry : (normalizeOrigin(entry) ?? entry)));
}

/** A comma-separated list of http(s) origins (`scheme://host[:port]`) or `*`; empty is valid. */
export function IsOriginList(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isOriginList',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `${String(propertyName)} must be a comma-separated list of origins such as https://ops.example.com or http://localhost:3000, or *`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          entries(value).every((entry) => entry === ANY_ORIGIN || normalizeOrigin(entry) !== null),
      },
    });
}
