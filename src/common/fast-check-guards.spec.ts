import { length, maxLength } from 'class-validator';
import { isLengthEdgeStrings } from '../../test/support/fast-check-equivalence';
import { isJsonObject, isJsonPrimitive, surelyFitsLength } from './fast-check-guards';

describe('fast check guards', () => {
  it('count lengths as class-validator (validator.js isLength) does at the limits they check', () => {
    const misjudged = isLengthEdgeStrings().filter((s) => {
      for (const max of [0, 1, 2, 3, 4, 5]) {
        if (surelyFitsLength(s, 1, max) && !length(s, 1, max)) return true;
        if (surelyFitsLength(s, 0, max) && !maxLength(s, max)) return true;
      }
      // min 1 is exactly "non-empty" for isLength, so nothing valid is sent to class-validator for that.
      return length(s, 1, Infinity) !== s.length >= 1;
    });
    expect(misjudged).toEqual([]);
    expect([surelyFitsLength(1, 0, 5), surelyFitsLength(null, 0, 5), surelyFitsLength(['a'], 0, 5)]).toEqual([
      false,
      false,
      false,
    ]);
  });

  it('take only what JSON.parse builds for objects and primitives', () => {
    expect(isJsonObject(JSON.parse('{"a":1}'))).toBe(true);
    expect([null, [], 'x', 1, new Map(), Object.create(null), new (class X {})()].map(isJsonObject)).toEqual(
      Array(7).fill(false),
    );
    expect([null, 'x', 0, false].map(isJsonPrimitive)).toEqual([true, true, true, true]);
    expect([undefined, {}, [], () => 1, Symbol('s'), 1n].map(isJsonPrimitive)).toEqual(Array(6).fill(false));
  });
});
