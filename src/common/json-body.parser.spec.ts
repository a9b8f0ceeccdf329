import { MAX_JSON_DEPTH, nestingExceeds } from './json-body.parser';

/** `levels` arrays nested in each other: `[[...]]`. */
const nested = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

describe('nestingExceeds', () => {
  it('counts objects and arrays as levels, scalars as none', () => {
    expect(nestingExceeds('text', 0)).toBe(false);
    expect(nestingExceeds({ a: 1 }, 1)).toBe(false);
    expect(nestingExceeds({ a: { b: [1] } }, 2)).toBe(true);
    expect(nestingExceeds({ a: { b: [1] } }, 3)).toBe(false);
  });

  it('accepts a body exactly MAX_JSON_DEPTH deep and refuses one level more', () => {
    expect(nestingExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(nestingExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    expect(nestingExceeds(nested(100_000), MAX_JSON_DEPTH)).toBe(true);
  });

  it('finds the deep branch among shallow siblings', () => {
    expect(nestingExceeds({ a: 1, b: [2, 3], c: { d: nested(MAX_JSON_DEPTH) } }, MAX_JSON_DEPTH)).toBe(true);
  });
});
