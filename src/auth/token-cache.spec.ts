import { ExpiringLruCache } from './token-cache';

describe('ExpiringLruCache', () => {
  it('returns an entry until its expiry, and not at or after it', () => {
    const cache = new ExpiringLruCache<string, number>(10);
    cache.set('a', 1, 1000);
    expect(cache.get('a', 999)).toBe(1);
    expect(cache.get('a', 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used entry beyond its capacity', () => {
    const cache = new ExpiringLruCache<string, number>(2);
    cache.set('a', 1, Infinity);
    cache.set('b', 2, Infinity);
    expect(cache.get('a', 0)).toBe(1); // a is now the most recently used
    cache.set('c', 3, Infinity);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBe(1);
    expect(cache.get('c', 0)).toBe(3);
  });
});
