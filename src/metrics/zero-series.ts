import type { Counter } from 'prom-client';

/**
 * Creates every series of a labelled counter whose label values are known in advance, at 0. A series that only
 * appears at its first increment is invisible to Prometheus until then: `rate()` and alerts on it see nothing
 * rather than zero.
 */
export function zeroSeries<L extends string>(
  counter: Counter<L>,
  labelValues: Readonly<Record<L, readonly string[]>>,
): void {
  let combinations: Partial<Record<L, string>>[] = [{}];
  for (const name of Object.keys(labelValues) as L[]) {
    combinations = combinations.flatMap((partial) =>
      labelValues[name].map((value) => ({ ...partial, [name]: value })),
    );
  }
  for (const labels of combinations) counter.inc(labels, 0);
}
