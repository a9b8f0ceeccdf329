import { Logger } from '@nestjs/common';
import { ManualClock } from '../../test/support/manual-clock';
import type { AppConfig } from '../config/app-config';
import type { EscalationState } from './escalation-policy';
import type { EscalationStatesRepository } from './escalation-states.repository';
import { EscalationScheduler, RETRY_AFTER_FAILURE_MS } from './escalation.scheduler';

const CHECK_INTERVAL_MS = 30_000;

/** An escalation_states table in memory: `due` and `nextDueAt` answer from `rows` as the database would. */
function fakeStates(clock: ManualClock) {
  const rows: EscalationState[] = [];
  const add = (incidentId: string, dueInMs: number): number => {
    const dueAt = clock.now() + dueInMs;
    rows.push({
      incident_id: incidentId,
      policy_id: 'p-1',
      status: 'active',
      level_index: 0,
      repeat_round: 0,
      next_due_at: new Date(dueAt).toISOString(),
      started_at: clock.nowIso(),
      updated_at: clock.nowIso(),
      stop_reason: null,
    });
    return dueAt;
  };
  const states = {
    due: jest.fn((now: string, limit: number) =>
      Promise.resolve(
        rows
          .filter((r) => r.next_due_at !== null && r.next_due_at <= now)
          .sort((a, b) => String(a.next_due_at).localeCompare(String(b.next_due_at)))
          .slice(0, limit),
      ),
    ),
    nextDueAt: jest.fn(() => Promise.resolve(rows.map((r) => r.next_due_at).sort()[0] ?? null)),
  };
  return { rows, add, states };
}

function setup() {
  const clock = new ManualClock();
  const { rows, add, states } = fakeStates(clock);
  const scheduler = new EscalationScheduler(
    { escalation: { checkIntervalMs: CHECK_INTERVAL_MS } } as AppConfig,
    clock,
    states as unknown as EscalationStatesRepository,
  );
  const handled: [string, number][] = [];
  /** Handles a due row the way the engine does: the row leaves the schedule. */
  const handler = jest.fn((due: EscalationState) => {
    handled.push([due.incident_id, clock.now()]);
    rows.splice(rows.indexOf(due), 1);
    return Promise.resolve();
  });
  return { clock, rows, add, states, scheduler, handler, handled };
}

describe('EscalationScheduler', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('sweeps at start, handing over what is already overdue', async () => {
    const { clock, add, scheduler, handler, handled } = setup();
    add('overdue', -5_000);
    scheduler.start(handler);
    await clock.advance(0);
    expect(handled).toEqual([['overdue', clock.now()]]);
    await scheduler.beforeApplicationShutdown();
  });

  it('hands an escalation over at its due time, not before, in due order', async () => {
    const { clock, add, scheduler, handler, handled } = setup();
    scheduler.start(handler);
    await clock.advance(0);
    const late = add('late', 2_000);
    const early = add('early', 1_000);
    scheduler.dueAt(late);
    scheduler.dueAt(early);
    await clock.advance(999);
    expect(handled).toEqual([]);
    await clock.advance(1);
    expect(handled).toEqual([['early', early]]);
    await clock.advance(1_000);
    expect(handled).toEqual([
      ['early', early],
      ['late', late],
    ]);
    await scheduler.beforeApplicationShutdown();
  });

  it('re-arms from the stored schedule after a sweep, so a restart-armed escalation needs no dueAt', async () => {
    const { clock, add, scheduler, handler, handled } = setup();
    const dueAt = add('stored', 10_000);
    scheduler.start(handler);
    await clock.advance(9_999);
    expect(handled).toEqual([]);
    await clock.advance(1);
    expect(handled).toEqual([['stored', dueAt]]);
    await scheduler.beforeApplicationShutdown();
  });

  it('sweeps at least every check interval, as a safety net for a schedule it was not told about', async () => {
    const { clock, states, scheduler, handler } = setup();
    scheduler.start(handler);
    await clock.advance(0);
    expect(states.due).toHaveBeenCalledTimes(1);
    await clock.advance(CHECK_INTERVAL_MS - 1);
    expect(states.due).toHaveBeenCalledTimes(1);
    await clock.advance(1);
    expect(states.due).toHaveBeenCalledTimes(2);
    await scheduler.beforeApplicationShutdown();
  });

  it('re-arms after a failing escalation, no sooner than the retry delay, and tries again', async () => {
    const { clock, add, states, scheduler, handler } = setup();
    add('failing', -1_000);
    handler.mockRejectedValueOnce(new Error('database is down'));
    scheduler.start(handler);
    await clock.advance(0);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(states.due).toHaveBeenCalledTimes(1);

    await clock.advance(RETRY_AFTER_FAILURE_MS - 1);
    expect(handler).toHaveBeenCalledTimes(1);
    await clock.advance(1);
    expect(handler).toHaveBeenCalledTimes(2);
    await scheduler.beforeApplicationShutdown();
  });

  it('runs queued work one task at a time, in order', async () => {
    const { clock, scheduler } = setup();
    const seen: string[] = [];
    scheduler.enqueue(async () => {
      await clock.sleep(100);
      seen.push('first');
    });
    scheduler.enqueue(() => Promise.resolve(void seen.push('second')));
    await clock.advance(100);
    expect(seen).toEqual(['first', 'second']);
    await scheduler.beforeApplicationShutdown();
  });

  it('after shutdown arms no timer and runs no work', async () => {
    const { clock, add, scheduler, handler } = setup();
    const dueAt = add('after-shutdown', -1_000);
    await scheduler.beforeApplicationShutdown();
    const task = jest.fn(() => Promise.resolve());
    scheduler.start(handler);
    scheduler.dueAt(dueAt);
    scheduler.enqueue(task);
    await clock.advance(10 * CHECK_INTERVAL_MS);
    expect(scheduler.running).toBe(false);
    expect(clock.pending).toBe(0);
    expect(handler).not.toHaveBeenCalled();
    expect(task).not.toHaveBeenCalled();
  });
});
