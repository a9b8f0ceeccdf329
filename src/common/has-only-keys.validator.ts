import { ValidationOptions, registerDecorator } from 'class-validator';

/** An object whose keys are all among `keys`: an unknown key must never be silently ignored. */
export function HasOnlyKeys(keys: readonly string[], options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'hasOnlyKeys',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: (args) =>
          `${args.property} has unknown key(s) ${unknownKeys(args.value, keys).join(', ')} (allowed: ${keys.join(', ')})`,
        ...options,
      },
      validator: {
        validate: (value: unknown) => isPlainObject(value) && unknownKeys(value, keys).length === 0,
      },
    });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(value: unknown, keys: readonly string[]): string[] {
  return isPlainObject(value) ? Object.keys(value).filter((k) => !keys.includes(k)) : [];
}
