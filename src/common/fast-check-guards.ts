import { isStringMap } from './string-map.validator';

/*
 * Tests shared by the hand-written fast checks of request bodies and client messages (see fast-body-validation.ts).
 * Each one answers `true` only where class-validator surely agrees; a `false` only sends the value to class-validator.
 */

/**
 * Whether class-validator's `@Length(min, max)` (min 0: `@MaxLength(max)`) surely accepts the value. validator.js's
 * isLength counts `value.length` less one per surrogate pair and one per U+FE0E/U+FE0F that follows another
 * character, so its length is at most `value.length`: within the limit whenever `value.length` is. It is at least 1
 * for any non-empty string: a subtracted selector needs a counted character before it, and a surrogate pair counts
 * one of its two units, so what is left is at least half the other characters, or all of them when every one is a
 * selector (a lone U+FE0F counts 1). fast-check-guards.spec.ts checks this against isLength for every short string of
 * such characters.
 */
export function surelyFitsLength(value: unknown, min: 0 | 1, max: number): value is string {
  return typeof value === 'string' && value.length <= max && value.length >= min;
}

/** A JSON object as JSON.parse builds it; any other prototype (arrays, class instances, null's) is not one. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/**
 * A value class-transformer copies as it is, whatever the property's type: JSON's null, strings, numbers and
 * booleans. Objects and arrays are copied recursively instead (and `undefined`, never from JSON, is not a value).
 */
export function isJsonPrimitive(value: unknown): value is string | number | boolean | null {
  return (
    value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
  );
}

/**
 * A copy of a labels/annotations-like value that @IsStringMap accepts and class-transformer copies whole, else
 * undefined: a key naming an Object.prototype member (which class-transformer drops) or `prototype` (which Nest
 * deletes) falls back.
 */
export function copyStringMap(value: unknown): Record<string, string> | undefined {
  if (!isJsonObject(value) || !isStringMap(value)) return undefined;
  for (const key in value) {
    if (key in Object.prototype || key === 'prototype') return undefined;
  }
  return { ...(value as Record<string, string>) };
}

/** A test of membership in a fixed list (an enum's members: @IsIn, or @IsIn with `each`). */
export const isMemberOf =
  <T>(members: readonly T[]) =>
  (value: unknown): value is T =>
    (members as readonly unknown[]).includes(value);
