import { isoTimestamp } from './iso-timestamp';

/** A scheduled callback that can be cancelled. */
export interface Timer {
  cancel(): void;
}

/**
 * The one way the application reads the time and waits for it. Wall-clock time is I/O: reading it through an
 * injected provider lets tests move time forward (`ManualClock` in test/support) instead of sleeping.
 *
 * Monotonic measurements of how long something took (`performance.now()` for latency metrics) are not wall-clock
 * readings and do not go through here.
 */
export abstract class Clock {
  /** Milliseconds since the epoch. */
  abstract now(): number;

  /** Runs `callback` once, `delayMs` from now. Pending timers never keep the process alive. */
  abstract setTimeout(callback: () => void, delayMs: number): Timer;

  /** Runs `callback` every `intervalMs` until cancelled. Never keeps the process alive. */
  abstract setInterval(callback: () => void, intervalMs: number): Timer;

  private lastIsoMs = Number.NaN;
  private lastIso = '';

  /**
   * The current instant as an RFC 3339 UTC string (`Date.toISOString`). An alert stamps its row, its incident and
   * each of its events within the same millisecond: the text of the last millisecond is kept rather than built again.
   */
  nowIso(): string {
    const ms = this.now();
    if (ms !== this.lastIsoMs) {
      this.lastIso = isoTimestamp(ms);
      this.lastIsoMs = ms;
    }
    return this.lastIso;
  }

  /** Resolves `delayMs` from now; rejects with the signal's reason if it is aborted first. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(abortReason(signal));
        return;
      }
      const onAbort = (): void => {
        timer.cancel();
        reject(abortReason(signal as AbortSignal));
      };
      const timer = this.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delayMs);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

/** setTimeout's ceiling (about 24.8 days); longer delays are waited for in steps. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The real clock: `Date.now()` and Node's timers, unreferenced. */
export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMs: number): Timer {
    let handle: NodeJS.Timeout;
    const due = Date.now() + delayMs;
    const arm = (remaining: number): void => {
      handle = setTimeout(
        () => {
          const left = due - Date.now();
          if (left > 0) arm(left);
          else callback();
        },
        Math.max(0, Math.min(remaining, MAX_TIMER_DELAY_MS)),
      );
      handle.unref();
    };
    arm(delayMs);
    return { cancel: () => clearTimeout(handle) };
  }

  setInterval(callback: () => void, intervalMs: number): Timer {
    const handle = setInterval(callback, intervalMs);
    handle.unref();
    return { cancel: () => clearInterval(handle) };
  }
}
