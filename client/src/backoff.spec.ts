import { Backoff } from './backoff';

describe('Backoff', () => {
  it('doubles the ceiling at each attempt up to the maximum', () => {
    const backoff = new Backoff({ initialDelayMs: 250, maxDelayMs: 10_000, random: () => 0.999999 });
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays).toEqual([249, 499, 999, 1999, 3999, 7999, 9999, 9999]);
  });

  it('draws each delay uniformly between 0 and its ceiling (full jitter)', () => {
    const draws = [0, 0.5, 0.25];
    const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, random: () => draws.shift()! });
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([0, 100, 100]);
  });

  it('starts again from the first step after a reset', () => {
    const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 });
    backoff.next();
    backoff.next();
    expect(backoff.attempt).toBe(2);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(50);
  });

  it('stays at the maximum after very many attempts (no overflow to Infinity or NaN)', () => {
    const backoff = new Backoff({ initialDelayMs: 250, maxDelayMs: 10_000, random: () => 0.5 });
    for (let i = 0; i < 5000; i++) backoff.next();
    expect(backoff.next()).toBe(5000);
  });

  it('spreads many clients over the whole window', () => {
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const firsts = Array.from({ length: 1000 }, () =>
      new Backoff({ initialDelayMs: 1000, maxDelayMs: 1000, random }).next(),
    );
    const quarters = [0, 0, 0, 0];
    for (const delay of firsts) quarters[Math.floor(delay / 250)] += 1;
    for (const count of quarters) expect(count).toBeGreaterThan(180);
  });
});
