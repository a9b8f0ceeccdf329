import { getToken } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import request from 'supertest';
import type { AppConfig } from '../src/config/app-config';
import { EventLogRetentionRepository } from '../src/events/event-log-retention.repository';
import { EventLogRetentionService, PRUNE_CHUNK } from '../src/events/event-log-retention.service';
import { Metric } from '../src/metrics/metric-names';
import { createIncident } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { publishAll, systemEvent } from './support/publish';
import { describeOnEachStore } from './support/stores';
import { startTestApp, TestApp } from './support/test-app';

const DAY_MS = 86_400_000;
const MAX_EVENTS = 1500;

interface Page {
  events: { sequence: number; event_type: string; created_at: string }[];
  oldest_sequence: number;
  head_sequence: number;
}

/**
 * Contract section 7, retention: EVENT_LOG_RETENTION_DAYS and EVENT_LOG_MAX_EVENTS, pruned in the background
 * (oldest first, in chunks, never the newest entry); `GET /v1/events` answers the stored range with its events.
 */
describeOnEachStore('event log retention', (store) => {
  let t: TestApp;
  let clock: ManualClock;
  let retention: EventLogRetentionService;

  const page = async (path = '/v1/events', afterSequence = 0): Promise<Page> =>
    (await request(t.baseUrl).get(path).query({ after_sequence: afterSequence, limit: 1000 }).expect(200))
      .body as Page;

  /** Stores `count` system events now, in one unit of work; returns the head after them. */
  const publish = async (count: number): Promise<number> => {
    await publishAll(
      t.app,
      Array.from({ length: count }, (_, i) => ({ event: systemEvent(`filler ${i}`), incident: null })),
    );
    return (await retention.bounds()).head_sequence;
  };

  const prunedMetric = async (reason: string): Promise<number> => {
    const text = (await request(t.baseUrl).get('/metrics').expect(200)).text;
    const match = new RegExp(
      `^llm_incident_manager_event_log_pruned_total\\{reason="${reason}"\\} (\\d+)$`,
      'm',
    ).exec(text);
    return Number(match?.[1]);
  };

  /**
   * Prunes the app's log as its pruner would with its clock at `at`. The app's own clock is only moved by
   * minutes: its heartbeat timer ticks every 100 ms, so a ManualClock moved by days would fire millions of them.
   */
  const pruneAt = (at: number) =>
    new EventLogRetentionService(
      { eventLog: { retentionMs: 30 * DAY_MS, maxEvents: MAX_EVENTS } } as AppConfig,
      new ManualClock(at),
      t.app.get(EventLogRetentionRepository),
      t.app.get<Counter<string>>(getToken(Metric.EventLogPruned)),
    ).prune();

  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp(
      {
        ...store.overrides(),
        EVENT_LOG_RETENTION_DAYS: '30',
        EVENT_LOG_MAX_EVENTS: String(MAX_EVENTS),
      },
      undefined,
      { clock },
    );
    retention = t.app.get(EventLogRetentionService);
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it("GET /v1/events and an incident's events answer the stored range of the log with their page", async () => {
    const incident = await createIncident(t.baseUrl);
    const all = await page();
    expect(Object.keys(all).sort()).toEqual(['events', 'head_sequence', 'oldest_sequence']);
    expect(all.oldest_sequence).toBe(all.events[0].sequence);
    expect(all.head_sequence).toBe(all.events.at(-1)?.sequence);

    const own = await page(`/v1/incidents/${incident.id}/events`);
    expect(own.events.map((e) => e.event_type)).toEqual(['incident_created']);
    expect(own).toMatchObject({ oldest_sequence: all.oldest_sequence, head_sequence: all.head_sequence });
    // A page past the head: no events, the same range.
    expect(await page('/v1/events', all.head_sequence)).toEqual({ ...all, events: [] });
  });

  it('prunes the entries older than EVENT_LOG_RETENTION_DAYS, to the millisecond, and never the newest', async () => {
    const start = clock.now();
    const before = (await retention.bounds()).head_sequence;
    // The metric registry is the process's: counted from here on.
    const prunedBefore = await prunedMetric('age');
    await clock.advance(60_000);
    const laterHead = await publish(2);

    await pruneAt(start + 30 * DAY_MS);
    expect((await page()).oldest_sequence).toBeLessThanOrEqual(before);

    await pruneAt(start + 30 * DAY_MS + 1);
    const kept = await page();
    expect(kept.events.map((e) => e.sequence)).toEqual([laterHead - 1, laterHead]);
    expect(kept).toMatchObject({ oldest_sequence: laterHead - 1, head_sequence: laterHead });
    expect(await prunedMetric('age')).toBe(prunedBefore + before);

    // Everything is older than the retention now: the newest entry stays, the position of the log.
    await pruneAt(start + 31 * DAY_MS);
    expect(await page()).toMatchObject({
      events: [{ sequence: laterHead }],
      oldest_sequence: laterHead,
      head_sequence: laterHead,
    });
  });

  it('keeps the latest EVENT_LOG_MAX_EVENTS, deleting the rest in chunks of at most PRUNE_CHUNK', async () => {
    const deletes: [number, number][] = [];
    const repository = t.app.get(EventLogRetentionRepository);
    const deleteRange = repository.deleteRange.bind(repository);
    const spy = jest.spyOn(repository, 'deleteRange').mockImplementation((from, through) => {
      deletes.push([from, through]);
      return deleteRange(from, through);
    });
    try {
      const oldest = (await retention.bounds()).oldest_sequence;
      const head = await publish(MAX_EVENTS + 2 * PRUNE_CHUNK + 100);
      const prunedBefore = await prunedMetric('count');

      const result = await retention.prune();
      expect(result).toEqual({ age: 0, count: head - MAX_EVENTS - oldest + 1 });
      expect(deletes.length).toBe(3);
      for (const [from, through] of deletes) expect(through - from + 1).toBeLessThanOrEqual(PRUNE_CHUNK);
      expect(deletes[0][0]).toBe(oldest);
      expect(deletes.at(-1)?.[1]).toBe(head - MAX_EVENTS);

      const bounds = await retention.bounds();
      expect(bounds).toEqual({ oldest_sequence: head - MAX_EVENTS + 1, head_sequence: head });
      const stored = await page('/v1/events', head - MAX_EVENTS - 5);
      expect(stored.events[0].sequence).toBe(head - MAX_EVENTS + 1);
      expect(await prunedMetric('count')).toBe(prunedBefore + result.count);
    } finally {
      spy.mockRestore();
    }
  });

  it('prunes by itself every minute of the clock', async () => {
    const head = await publish(MAX_EVENTS);
    const before = (await retention.bounds()).oldest_sequence;
    expect(before).toBeLessThan(head - MAX_EVENTS + 1);
    await clock.advanceUntil(
      async () => (await retention.bounds()).oldest_sequence === head - MAX_EVENTS + 1,
      'the timer round',
      { firstMs: 60_000, stepMs: 0 },
    );
  });
});
