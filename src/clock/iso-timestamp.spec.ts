import { prng } from '../../test/support/prng';
import { isoTimestamp } from './iso-timestamp';

/** Date's own answer, or the error's class when it throws. */
function dateText(ms: number): string {
  try {
    return new Date(ms).toISOString();
  } catch (error) {
    return (error as Error).constructor.name;
  }
}

function fastText(ms: number): string {
  try {
    return isoTimestamp(ms);
  } catch (error) {
    return (error as Error).constructor.name;
  }
}

describe('isoTimestamp', () => {
  it('is Date.toISOString at the edges: the epoch, day and year boundaries, leap days, the extremes', () => {
    const edges = [
      0,
      -0,
      1,
      -1,
      999,
      1000,
      86_399_999,
      86_400_000,
      -86_400_000,
      -86_400_001,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      Date.UTC(-1, 0, 1),
      Date.UTC(0, 0, 1) - 1,
      8.64e15,
      -8.64e15,
      1.9,
      -1.9,
      1_764_633_600_000.5,
    ];
    for (const ms of edges) expect([ms, fastText(ms)]).toEqual([ms, dateText(ms)]);
  });

  it('throws RangeError where Date does: NaN, infinities, beyond ±8.64e15 ms', () => {
    for (const ms of [Number.NaN, Infinity, -Infinity, 8.64e15 + 1, -8.64e15 - 1]) {
      expect(() => isoTimestamp(ms)).toThrow(RangeError);
    }
  });

  it('is Date.toISOString for 200,000 generated times, near now and across the whole range', () => {
    const random = prng(20261202);
    const now = Date.UTC(2026, 11, 2);
    for (let i = 0; i < 200_000; i++) {
      const ms =
        i % 2 === 0
          ? now + Math.floor((random() - 0.5) * 10 * 86_400_000)
          : (random() - 0.5) * 2 * 8.7e15 + (i % 3 === 0 ? 0.25 : 0);
      const expected = dateText(ms);
      if (fastText(ms) !== expected) expect([ms, fastText(ms)]).toEqual([ms, expected]);
    }
  });
});
