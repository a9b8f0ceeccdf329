import { MAX_JSON_DEPTH, findUnacceptableJson } from './untrusted-json';

/** `levels` arrays nested in each other: `[[...]]`. */
const nested = (levels: number): unknown => JSON.parse(`${'['.repeat(levels)}${']'.repeat(levels)}`);

describe('findUnacceptableJson', () => {
  it('accepts ordinary bodies', () => {
    expect(
      findUnacceptableJson({ source: 's', labels: { env: 'prod' }, list: [1, 'a', null, true] }),
    ).toBeUndefined();
    expect(findUnacceptableJson('text')).toBeUndefined();
    expect(findUnacceptableJson(null)).toBeUndefined();
  });

  describe('nesting', () => {
    it('counts objects and arrays as levels, scalars as none', () => {
      expect(findUnacceptableJson({ a: 1 }, 'the body', 1)).toBeUndefined();
      expect(findUnacceptableJson({ a: { b: [1] } }, 'the body', 2)).toBe(
        'the body is nested deeper than 2 levels',
      );
      expect(findUnacceptableJson({ a: { b: [1] } }, 'the body', 3)).toBeUndefined();
    });

    it('accepts a body exactly MAX_JSON_DEPTH deep and refuses one level more', () => {
      expect(findUnacceptableJson(nested(MAX_JSON_DEPTH))).toBeUndefined();
      expect(findUnacceptableJson(nested(MAX_JSON_DEPTH + 1))).toMatch(/nested deeper than 32 levels/);
    });

    it('walks 100,000 levels without overflowing the stack', () => {
      expect(findUnacceptableJson(nested(100_000))).toMatch(/nested deeper/);
    });

    it('finds the deep branch among shallow siblings', () => {
      expect(findUnacceptableJson({ a: 1, b: [2, 3], c: { d: nested(MAX_JSON_DEPTH) } })).toMatch(
        /nested deeper/,
      );
    });
  });

  describe('NUL characters', () => {
    it.each([
      [{ source: '\u0000' }, 'source must not contain a NUL character (\\u0000)'],
      [{ labels: { env: 'pr\u0000od' } }, 'labels.env must not contain a NUL character (\\u0000)'],
      [
        { alerts: [{ labels: { a: 'b' } }, { title: '\u0000' }] },
        'alerts[1].title must not contain a NUL character (\\u0000)',
      ],
      [
        { affected_services: ['ok', '\u0000'] },
        'affected_services[1] must not contain a NUL character (\\u0000)',
      ],
      [{ labels: { 'e\u0000nv': 'prod' } }, 'labels has a key with a NUL character (\\u0000)'],
      ['\u0000', 'the body must not contain a NUL character (\\u0000)'],
    ])('refuses %j naming where the NUL is', (value, message) => {
      expect(findUnacceptableJson(value)).toBe(message);
    });
  });

  describe('reserved keys', () => {
    it.each(['__proto__', 'constructor', 'prototype'])('refuses %s as a key, at the top or nested', (key) => {
      expect(findUnacceptableJson(JSON.parse(`{"labels":{"${key}":"x"}}`))).toBe(
        `labels has the reserved key "${key}"`,
      );
      expect(findUnacceptableJson(JSON.parse(`{"${key}":{}}`), 'the message')).toBe(
        `the message has the reserved key "${key}"`,
      );
    });

    it('accepts them as values', () => {
      expect(findUnacceptableJson({ name: 'constructor', labels: { k: '__proto__' } })).toBeUndefined();
    });
  });
});
