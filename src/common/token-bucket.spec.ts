import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  it('allows a burst, then refuses until tokens refill at the configured rate', () => {
    let now = 0;
    const buckets = new TokenBuckets(10, 3, () => now);
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 0]);
    expect(buckets.take('a')).toBeCloseTo(0.1);
    now += 100;
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBeGreaterThan(0);
  });

  it('keeps keys independent', () => {
    const buckets = new TokenBuckets(1, 1, () => 0);
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBeGreaterThan(0);
    expect(buckets.take('b')).toBe(0);
  });

  it('forgets idle keys so memory stays bounded', () => {
    let now = 0;
    const buckets = new TokenBuckets(100, 10, () => now);
    for (let i = 0; i < 50; i += 1) buckets.take(`k${i}`);
    expect(buckets.size).toBe(50);
    now += 5_000;
    buckets.take('fresh');
    expect(buckets.size).toBe(1);
  });
});

describe('TokenBuckets with a cost', () => {
  it('takes `cost` tokens at once, or none and says how long until that many are there', () => {
    let now = 0;
    const buckets = new TokenBuckets(10, 20, () => now);
    expect(buckets.take('a', 15)).toBe(0);
    expect(buckets.take('a', 10)).toBeCloseTo(0.5);
    expect(buckets.take('a', 5)).toBe(0);
    now += 1000;
    expect(buckets.take('a', 10)).toBe(0);
  });
});
