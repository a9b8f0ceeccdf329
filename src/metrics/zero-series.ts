import type { Counter, Histogram } from 'prom-client';

/**
 * Creates every series of a labelled counter whose label values are known in advance, at 0. A series that only
 * appears at its first increment is invisible to Prometheus until then: `rate()` and alerts on it see nothing
 * rather than zero.
 */
export function zeroSeries<L extends string>(
  counter: Counter<L>,
  labelValues: Readonly<Record<L, readonly string[]>>,
): void {
  for (const labels of combinationsOf(labelValues)) counter.inc(labels, 0);
}

/**
 * `zeroSeries` for a histogram: every bucket, `_sum` and `_count` of each combination that has no series yet, at 0
 * (so that `histogram_quantile()` and `rate()` over it see zero rather than nothing). prom-client's `zero` resets a
 * series, and the registry is shared by every app of a process (tests start several), so the series that exist are
 * read first and kept.
 */
export async function zeroHistogramSeries<L extends string>(
  histogram: Histogram<L>,
  labelValues: Readonly<Record<L, readonly string[]>>,
): Promise<void> {
  const names = Object.keys(labelValues) as L[];
  const key = (labels: Partial<Record<string, string | number>>): string =>
    names.map((name) => String(labels[name])).join('\u0000');
  const { values } = await histogram.get();
  const existing = new Set(values.map((v) => key(v.labels)));
  for (const labels of combinationsOf(labelValues)) {
    if (!existing.has(key(labels))) histogram.zero(labels);
  }
}

function combinationsOf<L extends string>(
  labelValues: Readonly<Record<L, readonly string[]>>,
): Partial<Record<L, string>>[] {
  let combinations: Partial<Record<L, string>>[] = [{}];
  for (const name of Object.keys(labelValues) as L[]) {
    combinations = combinations.flatMap((partial) =>
      labelValues[name].map((value) => ({ ...partial, [name]: value })),
    );
  }
  return combinations;
}
