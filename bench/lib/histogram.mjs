// A log-linear latency histogram over non-negative integers (microseconds): exact below 128, then 64 buckets per
// power of two (relative error under 1.6 %). Fixed size, no allocation per record, mergeable across processes.

const SUB_BITS = 6;
const SUB = 1 << SUB_BITS; // buckets per power of two
const LINEAR = SUB * 2; // values below this are their own bucket
const SIZE = LINEAR + 32 * SUB;

export class Histogram {
  constructor() {
    this.counts = new Float64Array(SIZE);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = 0;
  }

  record(value) {
    const v = value > 0 ? Math.round(value) : 0;
    this.counts[indexOf(v)] += 1;
    this.count += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** The value at quantile q (0..1): the upper bound of the bucket it falls in, never above the true max. */
  quantile(q) {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(upperBoundOf(i), this.max);
    }
    return this.max;
  }

  mean() {
    return this.count === 0 ? null : this.sum / this.count;
  }

  merge(other) {
    for (let i = 0; i < SIZE; i++) this.counts[i] += other.counts[i];
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  /** A compact plain object for IPC: only the non-empty buckets. */
  toJSON() {
    const buckets = [];
    for (let i = 0; i < SIZE; i++) if (this.counts[i] > 0) buckets.push(i, this.counts[i]);
    return { buckets, count: this.count, sum: this.sum, min: this.min, max: this.max };
  }

  static fromJSON(data) {
    const h = new Histogram();
    for (let i = 0; i < data.buckets.length; i += 2) h.counts[data.buckets[i]] = data.buckets[i + 1];
    h.count = data.count;
    h.sum = data.sum;
    h.min = data.min ?? Infinity;
    h.max = data.max;
    return h;
  }

  /** p50/p95/p99/max in milliseconds, rounded to 0.01 ms (values are recorded in microseconds). */
  summaryMs() {
    const ms = (us) => (us === null ? null : Math.round(us / 10) / 100);
    return {
      count: this.count,
      p50: ms(this.quantile(0.5)),
      p95: ms(this.quantile(0.95)),
      p99: ms(this.quantile(0.99)),
      max: ms(this.count === 0 ? null : this.max),
      mean: ms(this.mean()),
    };
  }
}

function indexOf(v) {
  if (v < LINEAR) return v;
  const msb = 31 - Math.clz32(Math.min(v, 0x7fffffff));
  const shift = msb - SUB_BITS;
  return Math.min(SIZE - 1, shift * SUB + (v >>> shift));
}

function upperBoundOf(index) {
  if (index < LINEAR) return index;
  const shift = Math.floor(index / SUB) - 1;
  const mantissa = index - shift * SUB;
  return (mantissa + 1) * 2 ** shift - 1;
}
