import { ManualClock } from '../../test/support/manual-clock';
import { SystemClock } from './clock';

describe('SystemClock', () => {
  it('reads the wall clock', () => {
    const before = Date.now();
    const now = new SystemClock().now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it('fires a timeout and can cancel one', async () => {
    const clock = new SystemClock();
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('kept'), 1).cancel();
    await new Promise<void>((resolve) => clock.setTimeout(() => resolve(), 5));
    expect(fired).toEqual([]);
  });

  it('sleep rejects with the abort reason', async () => {
    const controller = new AbortController();
    const sleeping = new SystemClock().sleep(60_000, controller.signal);
    controller.abort(new Error('stopped'));
    await expect(sleeping).rejects.toThrow('stopped');
  });
});

describe('Clock.nowIso', () => {
  it('is the ISO text of now(), whichever way the time moves', async () => {
    // A wall clock can be stepped back (NTP); ManualClock only moves forward, so this one can be set.
    class SteppedClock extends ManualClock {
      stepped: number | null = null;
      override now(): number {
        return this.stepped ?? super.now();
      }
    }
    const clock = new SteppedClock(Date.UTC(2026, 0, 1));
    expect(clock.nowIso()).toBe('2026-01-01T00:00:00.000Z');
    expect(clock.nowIso()).toBe('2026-01-01T00:00:00.000Z');
    await clock.advance(1);
    expect(clock.nowIso()).toBe('2026-01-01T00:00:00.001Z');
    clock.stepped = Date.UTC(2025, 11, 31, 23, 59, 59, 999);
    expect(clock.nowIso()).toBe('2025-12-31T23:59:59.999Z');
    clock.stepped = null;
    expect(clock.nowIso()).toBe('2026-01-01T00:00:00.001Z');
  });
});

describe('ManualClock', () => {
  it('fires timers in due order with now() at their due time', async () => {
    const clock = new ManualClock(1_000);
    const seen: [string, number][] = [];
    clock.setTimeout(() => seen.push(['b', clock.now()]), 200);
    clock.setTimeout(() => seen.push(['a', clock.now()]), 100);
    clock.setTimeout(() => seen.push(['late', clock.now()]), 500);
    await clock.advance(300);
    expect(seen).toEqual([
      ['a', 1_100],
      ['b', 1_200],
    ]);
    expect(clock.now()).toBe(1_300);
    expect(clock.pending).toBe(1);
  });

  it('repeats intervals and fires timers scheduled by a timer within the same advance', async () => {
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const interval = clock.setInterval(() => ticks.push(clock.now()), 100);
    clock.setTimeout(() => clock.setTimeout(() => ticks.push(-clock.now()), 50), 120);
    await clock.advance(350);
    interval.cancel();
    expect(ticks).toEqual([100, -170, 200, 300]);
    expect(clock.pending).toBe(0);
  });

  it('resolves a sleep when time reaches it, not before', async () => {
    const clock = new ManualClock(0);
    let woke = false;
    const sleeping = clock.sleep(1_000).then(() => (woke = true));
    await clock.advance(999);
    expect(woke).toBe(false);
    await clock.advance(1);
    await sleeping;
    expect(woke).toBe(true);
  });
});
