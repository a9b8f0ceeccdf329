import { Param, PipeTransform } from '@nestjs/common';
import { ValidationError } from './api-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Accepts a UUID in any case and hands it on lowercase; anything else is a 400 VALIDATION_ERROR. */
export class ParseUuidPipe implements PipeTransform<string, string> {
  constructor(private readonly name: string) {}

  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw new ValidationError(`${this.name} must be a UUID`);
    }
    return value.toLowerCase();
  }
}

/** `@UuidParam()` = the `:id` route parameter, validated and lowercased. */
export function UuidParam(name = 'id'): ParameterDecorator {
  return Param(name, new ParseUuidPipe(name));
}
