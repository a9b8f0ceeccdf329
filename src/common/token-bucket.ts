/**
 * Token buckets per key: `ratePerSecond` tokens refill continuously up to `burst`; each request takes one (or
 * `cost`).
 * Idle keys are forgotten so that the map stays bounded by the number of recently active clients.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; updatedMs: number }>();
  private lastSweepMs = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /**
   * Takes `cost` tokens for `key`; returns 0 when allowed, else the seconds until that many are available (and takes
   * none). A cost above `burst` is never allowed; the caller decides what to answer.
   */
  take(key: string, cost = 1): number {
    const now = this.now();
    this.sweep(now);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: this.burst, updatedMs: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(
        this.burst,
        bucket.tokens + ((now - bucket.updatedMs) / 1000) * this.ratePerSecond,
      );
      bucket.updatedMs = now;
    }
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 0;
    }
    return (cost - bucket.tokens) / this.ratePerSecond;
  }

  get size(): number {
    return this.buckets.size;
  }

  /** A bucket idle long enough to be full again carries no state worth keeping. */
  private sweep(now: number): void {
    const refillMs = (this.burst / this.ratePerSecond) * 1000;
    if (now - this.lastSweepMs < Math.max(1000, refillMs) && this.buckets.size < this.maxKeys) return;
    this.lastSweepMs = now;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.updatedMs >= refillMs) this.buckets.delete(key);
    }
    if (this.buckets.size >= this.maxKeys) this.buckets.clear();
  }
}
