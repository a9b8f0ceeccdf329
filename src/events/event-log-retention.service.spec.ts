import { Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import type { AppConfig } from '../config/app-config';
import type { AgedEntry, EventLogRetentionRepository } from './event-log-retention.repository';
import { EventLogRetentionService, PRUNE_CHUNK, PRUNE_INTERVAL_MS } from './event-log-retention.service';

const DAY_MS = 86_400_000;

/** An in-memory event log with the repository's queries, and what each call was asked. */
class FakeLog {
  entries: AgedEntry[] = [];
  readonly deletes: [number, number][] = [];
  reads = 0;
  /** When set, deleteRange waits for it (a slow statement). */
  gate: Promise<void> | null = null;

  add(count: number, createdAt: number): void {
    let next = (this.entries.at(-1)?.sequence ?? 0) + 1;
    for (let i = 0; i < count; i++) {
      this.entries.push({ sequence: next++, created_at: new Date(createdAt).toISOString() });
    }
  }

  get sequences(): number[] {
    return this.entries.map((e) => e.sequence);
  }

  /** Another node holds the pruning lock: rounds are skipped. */
  lockedElsewhere = false;

  readonly repository = {
    exclusively: <T>(work: () => Promise<T>): Promise<T | undefined> =>
      this.lockedElsewhere ? Promise.resolve(undefined) : work(),
    headSequence: () => Promise.resolve(this.entries.at(-1)?.sequence ?? 0),
    oldestEntries: (before: number, limit: number) => {
      this.reads++;
      return Promise.resolve(this.entries.filter((e) => e.sequence < before).slice(0, limit));
    },
    deleteRange: async (from: number, through: number) => {
      this.deletes.push([from, through]);
      if (this.gate) await this.gate;
      const before = this.entries.length;
      this.entries = this.entries.filter((e) => e.sequence < from || e.sequence > through);
      return before - this.entries.length;
    },
  };
}

function setup(eventLog: Partial<AppConfig['eventLog']> = {}) {
  const clock = new ManualClock();
  const log = new FakeLog();
  const inc = jest.fn();
  const service = new EventLogRetentionService(
    { eventLog: { retentionMs: 30 * DAY_MS, maxEvents: null, ...eventLog } } as AppConfig,
    clock,
    log.repository as unknown as EventLogRetentionRepository,
    { inc } as unknown as Counter<string>,
  );
  const pruned = (reason: string) =>
    inc.mock.calls
      .filter(([labels]: [{ reason: string }]) => labels.reason === reason)
      .reduce((sum: number, [, n]: [unknown, number]) => sum + n, 0);
  return { clock, log, service, pruned };
}

describe('EventLogRetentionService', () => {
  beforeAll(() => jest.spyOn(Logger.prototype, 'log').mockImplementation());

  it('prunes what is older than the retention, to the millisecond, and keeps the rest', async () => {
    const { clock, log, service, pruned } = setup();
    log.add(3, clock.now());
    log.add(2, clock.now() + DAY_MS);
    log.add(1, clock.now() + 2 * DAY_MS);

    await clock.advance(30 * DAY_MS);
    await expect(service.prune()).resolves.toEqual({ age: 0, count: 0 });
    await clock.advance(1);
    await expect(service.prune()).resolves.toEqual({ age: 3, count: 0 });
    expect(log.sequences).toEqual([4, 5, 6]);
    expect(pruned('age')).toBe(3);
  });

  it('skips the round while another node prunes (holds the lock), and prunes at the next', async () => {
    const { clock, log, service } = setup({ maxEvents: 2 });
    log.add(5, clock.now());
    log.lockedElsewhere = true;
    await expect(service.prune()).resolves.toEqual({ age: 0, count: 0 });
    expect(log.sequences).toEqual([1, 2, 3, 4, 5]);
    expect(log.reads).toBe(0);
    log.lockedElsewhere = false;
    await expect(service.prune()).resolves.toEqual({ age: 0, count: 3 });
  });

  it('never prunes the newest entry, however old', async () => {
    const { clock, log, service } = setup({ maxEvents: 1 });
    log.add(5, clock.now());
    await clock.advance(365 * DAY_MS);
    await expect(service.prune()).resolves.toEqual({ age: 0, count: 4 });
    expect(log.sequences).toEqual([5]);
    await expect(service.prune()).resolves.toEqual({ age: 0, count: 0 });
    expect(log.sequences).toEqual([5]);
  });

  it('keeps the latest EVENT_LOG_MAX_EVENTS sequences, counting what goes for both reasons apart', async () => {
    const { clock, log, service, pruned } = setup({ maxEvents: 10 });
    log.add(20, clock.now());
    log.add(20, clock.now() + 31 * DAY_MS);
    await clock.advance(31 * DAY_MS);
    // 1-30 are beyond the count (head 40); nothing is older than 30 days by then but 1-20, all counted as count.
    await expect(service.prune()).resolves.toEqual({ age: 0, count: 30 });
    expect(log.sequences).toEqual([31, 32, 33, 34, 35, 36, 37, 38, 39, 40]);
    expect(pruned('count')).toBe(30);

    const aged = setup({ maxEvents: 10 });
    aged.log.add(5, aged.clock.now());
    aged.log.add(5, aged.clock.now() + DAY_MS);
    await aged.clock.advance(30 * DAY_MS + 1);
    await expect(aged.service.prune()).resolves.toEqual({ age: 5, count: 0 });
  });

  it('deletes in chunks of at most PRUNE_CHUNK, oldest first, yielding to the event loop between them', async () => {
    const { clock, log, service } = setup();
    log.add(2 * PRUNE_CHUNK + 100, clock.now());
    log.add(1, clock.now() + DAY_MS);
    await clock.advance(30 * DAY_MS + 1);
    let turns = 0;
    const spin = (): void => {
      turns++;
      if (turns < 1000) setImmediate(spin);
    };
    setImmediate(spin);
    const readsAtTurn: number[] = [];
    const read = log.repository.oldestEntries;
    log.repository.oldestEntries = (before, limit) => {
      readsAtTurn.push(turns);
      return read(before, limit);
    };

    await expect(service.prune()).resolves.toEqual({ age: 2 * PRUNE_CHUNK + 100, count: 0 });
    expect(log.deletes).toEqual([
      [1, PRUNE_CHUNK],
      [PRUNE_CHUNK + 1, 2 * PRUNE_CHUNK],
      [2 * PRUNE_CHUNK + 1, 2 * PRUNE_CHUNK + 100],
    ]);
    // Other work ran between one chunk and the next.
    expect(readsAtTurn[1]).toBeGreaterThan(readsAtTurn[0]);
    expect(readsAtTurn[2]).toBeGreaterThan(readsAtTurn[1]);
  });

  it('prunes at start and then every minute of the clock', async () => {
    const { clock, log, service } = setup({ retentionMs: null, maxEvents: 2 });
    log.add(3, clock.now());
    service.onApplicationBootstrap();
    await clock.advance(0);
    expect(log.sequences).toEqual([2, 3]);

    log.add(2, clock.now());
    await clock.advance(PRUNE_INTERVAL_MS - 1);
    expect(log.sequences).toEqual([2, 3, 4, 5]);
    await clock.advance(1);
    expect(log.sequences).toEqual([4, 5]);
    await service.beforeApplicationShutdown();
  });

  it('does not start without a limit', () => {
    const { clock, service } = setup({ retentionMs: null, maxEvents: null });
    service.onApplicationBootstrap();
    expect(clock.pending).toBe(0);
  });

  it('stops at shutdown: the round in progress after its current chunk, and no round after', async () => {
    const { clock, log, service } = setup();
    log.add(3 * PRUNE_CHUNK, clock.now());
    log.add(1, clock.now() + DAY_MS);
    await clock.advance(30 * DAY_MS + 1);
    let release!: () => void;
    log.gate = new Promise((resolve) => (release = resolve));
    const round = service.prune();
    await clock.advance(0);
    expect(log.deletes).toHaveLength(1);

    let stopped = false;
    const stopping = service.beforeApplicationShutdown().then(() => (stopped = true));
    await clock.advance(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    await expect(round).resolves.toEqual({ age: PRUNE_CHUNK, count: 0 });
    expect(log.deletes).toHaveLength(1);

    const reads = log.reads;
    await clock.advance(10 * PRUNE_INTERVAL_MS);
    expect(log.reads).toBe(reads);
  });
});
