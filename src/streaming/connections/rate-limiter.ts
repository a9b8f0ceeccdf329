export const RateVerdict = {
  Allowed: 0,
  /** Over the limit: answer RATE_LIMITED, do not process. */
  Limited: 1,
  /** Sustained abuse: close the connection (4029). */
  Abusive: 2,
} as const;
export type RateVerdict = (typeof RateVerdict)[keyof typeof RateVerdict];

const WINDOW_MS = 1000;
/** This many times the limit within one second is abuse. */
export const ABUSE_FACTOR = 3;
/** Over the limit in this many consecutive one-second windows is abuse. */
export const SUSTAINED_WINDOWS = 3;

/**
 * Client messages per second, counted in one-second windows. Going over the limit is answered with RATE_LIMITED;
 * `ABUSE_FACTOR` times the limit in one window, or being over it in `SUSTAINED_WINDOWS` consecutive windows, is
 * abuse.
 */
export class RateLimiter {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;
  /** Consecutive windows, before the current one, that went over the limit. */
  private overWindows = 0;

  constructor(readonly limit: number) {}

  hit(now: number): RateVerdict {
    if (now - this.windowStart >= WINDOW_MS) {
      const previousWasOver = this.count > this.limit && now - this.windowStart < 2 * WINDOW_MS;
      this.overWindows = previousWasOver ? this.overWindows + 1 : 0;
      this.windowStart = now;
      this.count = 0;
    }
    this.count += 1;
    if (this.count <= this.limit) return RateVerdict.Allowed;
    if (this.count >= ABUSE_FACTOR * this.limit || this.overWindows >= SUSTAINED_WINDOWS - 1) {
      return RateVerdict.Abusive;
    }
    return RateVerdict.Limited;
  }
}
