/**
 * A hand-written check for one body DTO, answering what its validation pipe would (the HTTP pipe, ApiValidationPipe:
 * an instance of the class with only its validated properties; the WebSocket pipe, StreamValidationPipe, which has
 * no whitelist: the instance with every property the message had) for the bodies it is sure about, and `undefined`
 * for every other body, which then takes the class-validator path with its messages. It must never accept a body
 * that class-validator refuses: when unsure, it answers `undefined` (that costs only time). Shared tests:
 * fast-check-guards.ts.
 */
export type FastBodyValidator<T extends object> = (body: unknown) => T | undefined;

const fastValidators = new Map<unknown, FastBodyValidator<object>>();

/** Registers the fast check of a body DTO class; both validation pipes try it before class-validator. */
export function registerFastBodyValidator<T extends object>(
  dtoClass: new () => T,
  check: FastBodyValidator<T>,
): void {
  fastValidators.set(dtoClass, check);
}

/** The fast check registered for a body's metatype, if any. */
export function fastBodyValidatorFor(metatype: unknown): FastBodyValidator<object> | undefined {
  return fastValidators.get(metatype);
}
