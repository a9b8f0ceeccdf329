import { Clock, Timer } from '../../src/clock/clock';

interface Scheduled {
  readonly id: number;
  due: number;
  readonly callback: () => void;
  /** Re-armed this far after it fires; 0 for a one-shot timer. */
  readonly intervalMs: number;
  cancelled: boolean;
}

/**
 * A clock that only moves when a test says so. `advance(ms)` runs every timer that falls due on the way, in due
 * order, with `now()` at each timer's due time, and lets the promises they start settle in between, so that async
 * work driven by a timer (an escalation level, a retry) completes as it would have in real time.
 */
export class ManualClock extends Clock {
  private current: number;
  private timers: Scheduled[] = [];
  private nextId = 1;

  constructor(start: number | string = '2026-01-01T00:00:00.000Z') {
    super();
    this.current = typeof start === 'number' ? start : Date.parse(start);
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): Timer {
    return this.schedule(callback, delayMs, 0);
  }

  setInterval(callback: () => void, intervalMs: number): Timer {
    return this.schedule(callback, intervalMs, Math.max(1, intervalMs));
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward by `ms`, firing what falls due (see the class comment). */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      const next = this.earliestDueBy(target);
      if (next === undefined) break;
      this.current = Math.max(this.current, next.due);
      if (next.intervalMs > 0) next.due += next.intervalMs;
      else this.remove(next);
      next.callback();
      await settle();
    }
    this.current = target;
    await settle();
  }

  /**
   * Moves time by `firstMs`, then by `stepMs` at a time, until `check` holds; fails after `timeoutMs` of real time.
   * With `stepMs` 0 each step only fires what work that settled in the meantime has made due (a timer re-armed for
   * "now" after an asynchronous write, say).
   */
  async advanceUntil(
    check: () => boolean | Promise<boolean>,
    what: string,
    {
      firstMs = 0,
      stepMs = 0,
      timeoutMs = 5000,
    }: { firstMs?: number; stepMs?: number; timeoutMs?: number } = {},
  ): Promise<void> {
    await this.advance(firstMs);
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
      await this.advance(stepMs);
    }
  }

  /** Moves time to `instant` (never backwards). */
  async advanceTo(instant: number | string): Promise<void> {
    const at = typeof instant === 'number' ? instant : Date.parse(instant);
    await this.advance(Math.max(0, at - this.current));
  }

  private schedule(callback: () => void, delayMs: number, intervalMs: number): Timer {
    const timer: Scheduled = {
      id: this.nextId++,
      due: this.current + Math.max(0, delayMs),
      callback,
      intervalMs,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
        this.remove(timer);
      },
    };
  }

  private earliestDueBy(target: number): Scheduled | undefined {
    let best: Scheduled | undefined;
    for (const timer of this.timers) {
      if (timer.cancelled || timer.due > target) continue;
      if (best === undefined || timer.due < best.due || (timer.due === best.due && timer.id < best.id)) {
        best = timer;
      }
    }
    return best;
  }

  private remove(timer: Scheduled): void {
    this.timers = this.timers.filter((t) => t !== timer);
  }
}

/** Lets pending promise chains and I/O callbacks that are already due run (a few turns of the event loop). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
