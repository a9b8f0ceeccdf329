import { ABUSE_FACTOR, RateLimiter, RateVerdict } from './rate-limiter';

function hits(limiter: RateLimiter, at: number, count: number): RateVerdict[] {
  return Array.from({ length: count }, () => limiter.hit(at));
}

describe('RateLimiter', () => {
  it('allows up to the limit per second, then answers Limited', () => {
    const limiter = new RateLimiter(5);
    expect(hits(limiter, 0, 5)).toEqual(Array(5).fill(RateVerdict.Allowed));
    expect(hits(limiter, 500, 3)).toEqual(Array(3).fill(RateVerdict.Limited));
    expect(limiter.hit(1000)).toBe(RateVerdict.Allowed);
  });

  it(`calls ${ABUSE_FACTOR} times the limit within one second abuse`, () => {
    const limiter = new RateLimiter(5);
    const verdicts = hits(limiter, 0, 15);
    expect(verdicts.slice(0, 14)).not.toContain(RateVerdict.Abusive);
    expect(verdicts[14]).toBe(RateVerdict.Abusive);
  });

  it('calls going over the limit in three consecutive seconds abuse', () => {
    const limiter = new RateLimiter(5);
    expect(hits(limiter, 0, 7).at(-1)).toBe(RateVerdict.Limited);
    expect(hits(limiter, 1000, 7).at(-1)).toBe(RateVerdict.Limited);
    expect(hits(limiter, 2000, 6).at(-1)).toBe(RateVerdict.Abusive);
  });

  it('forgives a pause: windows over the limit must be consecutive', () => {
    const limiter = new RateLimiter(5);
    hits(limiter, 0, 7);
    hits(limiter, 1000, 7);
    expect(hits(limiter, 5000, 7).at(-1)).toBe(RateVerdict.Limited);
    expect(hits(limiter, 6000, 3)).toEqual(Array(3).fill(RateVerdict.Allowed));
  });
});
