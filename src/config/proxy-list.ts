import { ValidationOptions, registerDecorator } from 'class-validator';
import { parseProxyEntry } from '../common/client-address';

/** `10.0.0.0/8, 192.168.1.5` -> its entries, trimmed, without empty ones. */
export function parseProxyList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/** A comma-separated list of IP addresses and address/prefix ranges (TRUST_PROXY); empty is valid. */
export function IsProxyList(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isProxyList',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `${String(propertyName)} must be a comma-separated list of IP addresses or address/prefix ranges such as 10.0.0.0/8, 192.168.1.5`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' &&
          parseProxyList(value).every((entry) => parseProxyEntry(entry) !== undefined),
      },
    });
}
