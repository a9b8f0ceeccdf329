import { Counter, Histogram, Registry } from 'prom-client';
import { zeroHistogramSeries, zeroSeries } from './zero-series';

describe('zeroSeries', () => {
  it('exposes every combination of the known label values at 0', async () => {
    const registry = new Registry();
    const counter = new Counter({
      name: 'test_total',
      help: 'test',
      labelNames: ['origin', 'status'],
      registers: [registry],
    });
    zeroSeries(counter, { origin: ['native', 'alertmanager'], status: ['Accepted', 'Duplicate'] });
    const { values } = await counter.get();
    expect(values.map((v) => [v.labels.origin, v.labels.status, v.value]).sort()).toEqual([
      ['alertmanager', 'Accepted', 0],
      ['alertmanager', 'Duplicate', 0],
      ['native', 'Accepted', 0],
      ['native', 'Duplicate', 0],
    ]);
  });

  it('keeps counts that already exist', async () => {
    const counter = new Counter({ name: 'kept_total', help: 'test', labelNames: ['trigger'], registers: [] });
    counter.inc({ trigger: 'policy' }, 3);
    zeroSeries(counter, { trigger: ['policy', 'manual'] });
    const { values } = await counter.get();
    expect(Object.fromEntries(values.map((v) => [v.labels.trigger, v.value]))).toEqual({
      policy: 3,
      manual: 0,
    });
  });
});

describe('zeroHistogramSeries', () => {
  it('exposes every bucket of every combination at 0 and keeps observations that already exist', async () => {
    const registry = new Registry();
    const histogram = new Histogram({
      name: 'wait_seconds',
      help: 'test',
      labelNames: ['severity'],
      buckets: [10, 60],
      registers: [registry],
    });
    histogram.observe({ severity: 'P0' }, 30);
    await zeroHistogramSeries(histogram, { severity: ['P0', 'P1'] });
    const text = await registry.metrics();
    expect(text).toContain('wait_seconds_bucket{le="60",severity="P0"} 1');
    expect(text).toContain('wait_seconds_bucket{le="10",severity="P1"} 0');
    expect(text).toContain('wait_seconds_bucket{le="+Inf",severity="P1"} 0');
    expect(text).toContain('wait_seconds_count{severity="P1"} 0');
    expect(text).toContain('wait_seconds_sum{severity="P1"} 0');
  });
});
