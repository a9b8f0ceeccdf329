import { quantile, summarize } from './response-stats.service';

describe('summarize', () => {
  it('gives count, mean, p50, p90 and max of one severity, interpolating between ranks', () => {
    const samples = [60, 120, 30, 600].map((seconds) => ({ severity: 'P1', seconds }));
    samples.push({ severity: 'P2', seconds: 5 });
    expect(summarize(samples, 'P1')).toEqual({
      count: 4,
      mean_seconds: 202.5,
      p50_seconds: 90,
      p90_seconds: 456,
      max_seconds: 600,
    });
    expect(summarize(samples, null).count).toBe(5);
  });

  it('gives nulls when there is no sample', () => {
    expect(summarize([], 'P0')).toEqual({
      count: 0,
      mean_seconds: null,
      p50_seconds: null,
      p90_seconds: null,
      max_seconds: null,
    });
  });

  it('rounds to the millisecond', () => {
    expect(summarize([{ severity: 'P0', seconds: 1 / 3 }], 'P0').mean_seconds).toBe(0.333);
  });
});

describe('quantile', () => {
  it('is the value itself for one sample and the ends at 0 and 1', () => {
    expect(quantile([42], 0.9)).toBe(42);
    expect(quantile([1, 2, 3], 0)).toBe(1);
    expect(quantile([1, 2, 3], 1)).toBe(3);
  });
});
