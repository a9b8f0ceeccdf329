export interface BackoffOptions {
  /** The ceiling of the first delay (ms). */
  initialDelayMs: number;
  /** The largest ceiling (ms). */
  maxDelayMs: number;
  /** A number in [0, 1): Math.random unless a test gives its own. */
  random: () => number;
}

/**
 * Exponential backoff with full jitter: the n-th delay (n from 0) is uniform in [0, min(max, initial * 2^n)).
 * Full jitter spreads the reconnects of many clients that lost the same server over the whole window instead of
 * bringing them back in waves (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export class Backoff {
  private failures = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** The number of delays handed out since the last reset. */
  get attempt(): number {
    return this.failures;
  }

  /** The ceiling of the next delay. */
  ceiling(): number {
    const { initialDelayMs, maxDelayMs } = this.options;
    // 2^n past 2^30 only overflows towards Infinity; the cap is reached long before.
    return Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.failures, 30));
  }

  /** The next delay (ms), and one step further up. */
  next(): number {
    const delay = Math.floor(this.options.random() * this.ceiling());
    this.failures += 1;
    return delay;
  }

  /** Back to the first step (after a connection proved stable). */
  reset(): void {
    this.failures = 0;
  }
}
