import { Logger } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Counter, Gauge } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import type { AppConfig } from '../config/app-config';
import type { Incident } from '../domain';
import type { EventRecorder } from '../events/event-publisher.service';
import type { IncidentsService } from '../incidents/incidents.service';
import type { DatabaseService } from '../storage/database.service';
import type { Database, Tx } from '../storage/database.types';
import { InCodeMigrationProvider } from '../storage/migrations';
import { NotificationOutboxRepository } from './notification-outbox.repository';
import { Destination, NotificationQueueService } from './notification-queue.service';
import type { WebhookClient, WebhookRequest, WebhookResult } from './webhook.client';

const incident = { id: 'i-1', severity: 'P1', title: 't', timeline: [] } as unknown as Incident;
const destination: Destination = {
  label: 'ops',
  type: 'webhook',
  url: 'http://127.0.0.1:1/x',
  headers: { Authorization: 'Bearer s3cret' },
};
const content = { trigger: 'incident_created' as const, message: 'm', incident };

const ok: WebhookResult = { ok: true, status: 200, message: 'HTTP 200' };
const fail: WebhookResult = { ok: false, status: 500, message: 'HTTP 500' };
const aborted: WebhookResult = { ok: false, status: null, message: 'aborted' };

type Post = (request: WebhookRequest) => Promise<WebhookResult>;

/** An in-memory SQLite store with every migration: the outbox is tested against the real table. */
async function openStore(): Promise<Kysely<Database>> {
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }),
  });
  const { error } = await new Migrator({
    db,
    provider: new InCodeMigrationProvider('sqlite'),
  }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(JSON.stringify(error));
  return db;
}

/** Answers from `results` in order, or as `post` says; every request is kept. */
function webhook(results: WebhookResult[], post?: Post) {
  const queue = [...results];
  const requests: WebhookRequest[] = [];
  const client = {
    post: jest.fn((request: WebhookRequest) => {
      requests.push(request);
      if (post) return post(request);
      const next = queue.shift();
      if (!next) throw new Error('unexpected request');
      return Promise.resolve(next);
    }),
  };
  return { client, requests };
}

/** One server process: a queue service over `db` (the same store across a restart) with its own clock. */
function startService(
  db: Kysely<Database>,
  options: {
    client: ReturnType<typeof webhook>['client'];
    clock?: ManualClock;
    queueSize?: number;
    concurrency?: number;
  },
) {
  const recorded: { success: boolean; attempt: number; status_code: number | null; error: string | null }[] =
    [];
  const change = jest.fn(
    async (
      _id: string,
      mutate: (i: Incident, e: EventRecorder, now: string, tx: Tx) => boolean | Promise<boolean>,
    ) => {
      const copy = { ...incident, timeline: [] } as Incident;
      const events: never[] = [];
      const changed = await mutate(
        copy,
        { record: (event) => events.push(event as never) },
        '2026-01-01T00:00:00.000Z',
        db as unknown as Tx,
      );
      if (changed) recorded.push(...events);
      return copy;
    },
  );
  const counter = { inc: jest.fn() };
  const gauge = { set: jest.fn() };
  const config = {
    notifications: {
      queueSize: options.queueSize ?? 10,
      concurrency: options.concurrency ?? 2,
      maxAttempts: 3,
      retryBackoffMs: 1000,
      timeoutMs: 500,
    },
  } as AppConfig;
  const clock = options.clock ?? new ManualClock();
  const outbox = new NotificationOutboxRepository({ db, dialect: 'sqlite' } as DatabaseService);
  const service = new NotificationQueueService(
    config,
    clock,
    options.client as unknown as WebhookClient,
    { change } as unknown as IncidentsService,
    outbox,
    counter as unknown as Counter<string>,
    gauge as unknown as Gauge<string>,
  );
  return { service, clock, outbox, change, recorded, counter, gauge };
}

const rows = (db: Kysely<Database>) =>
  db.selectFrom('notification_outbox').selectAll().orderBy('created_at').execute();

describe('NotificationQueueService (outbox on SQLite)', () => {
  let db: Kysely<Database>;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));
  beforeEach(async () => {
    db = await openStore();
  });
  afterEach(async () => {
    await db.destroy();
  });

  it('delivers once, records one successful attempt, and keeps no credentials on the finished row', async () => {
    const { client, requests } = webhook([ok]);
    const { service, recorded, counter } = startService(db, { client });
    await service.onApplicationBootstrap();
    await expect(service.enqueue(destination, content)).resolves.toEqual({
      channel: 'ops',
      success: true,
      attempts: 1,
      message: 'HTTP 200',
    });
    expect(requests).toHaveLength(1);
    const [row] = await rows(db);
    expect(requests[0].headers).toEqual({
      Authorization: 'Bearer s3cret',
      'x-delivery-id': row.id,
      'x-delivery-attempt': '1',
    });
    expect(recorded).toEqual([
      {
        event_type: 'notification_sent',
        incident_id: 'i-1',
        channel: 'ops',
        success: true,
        attempt: 1,
        status_code: 200,
        error: null,
      },
    ]);
    expect(row).toMatchObject({
      status: 'delivered',
      attempts: 1,
      last_status_code: 200,
      lease_owner: null,
      next_attempt_at: null,
      headers: JSON.stringify({ Authorization: '********' }),
    });
    expect(counter.inc).toHaveBeenCalledWith({ channel: 'ops', outcome: 'success' });
    expect(service.depth).toBe(0);
    await service.beforeApplicationShutdown();
  });

  it('retries with exponential backoff on the clock, with one x-delivery-id, and records every attempt', async () => {
    const { client, requests } = webhook([fail, fail, ok]);
    const { service, clock, recorded } = startService(db, { client });
    await service.onApplicationBootstrap();
    const outcome = service.enqueue(destination, content);
    await clock.advanceUntil(() => requests.length === 1, 'the first attempt');
    await clock.advanceUntil(() => recorded.length === 1, 'the first outcome');
    const [waiting] = await rows(db);
    expect(waiting).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status_code: 500,
      last_error: 'HTTP 500',
      next_attempt_at: new Date(clock.now() + 1000).toISOString(),
    });
    await clock.advance(999);
    expect(requests).toHaveLength(1);
    await clock.advance(1);
    expect(requests).toHaveLength(2);
    await clock.advanceUntil(() => recorded.length === 2, 'the second outcome');
    await clock.advance(1999);
    expect(requests).toHaveLength(2);
    await clock.advance(1);
    await expect(outcome).resolves.toMatchObject({ success: true, attempts: 3 });
    expect(recorded.map((e) => [e.attempt, e.success])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);
    expect(requests.map((r) => r.headers?.['x-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(requests.map((r) => r.headers?.['x-delivery-id']))).toEqual(new Set([waiting.id]));
    await service.beforeApplicationShutdown();
  });

  it('gives up after maxAttempts and marks the row failed', async () => {
    const { client, requests } = webhook([fail, fail, fail]);
    const { service, clock } = startService(db, { client });
    await service.onApplicationBootstrap();
    const outcome = service.enqueue(destination, content);
    await clock.advanceUntil(() => requests.length === 3, 'three attempts', { stepMs: 500 });
    await expect(outcome).resolves.toMatchObject({ success: false, attempts: 3, message: 'HTTP 500' });
    expect(await rows(db)).toMatchObject([{ status: 'failed', attempts: 3, last_status_code: 500 }]);
    expect(service.depth).toBe(0);
    await service.beforeApplicationShutdown();
  });

  it('drops and counts a delivery when the outbox holds its capacity of undelivered rows', async () => {
    const hanging: (() => void)[] = [];
    const { client, requests } = webhook([], () => new Promise((resolve) => hanging.push(() => resolve(ok))));
    const { service, clock, counter, recorded } = startService(db, { client, queueSize: 2, concurrency: 1 });
    await service.onApplicationBootstrap();
    const kept = [service.enqueue(destination, content), service.enqueue(destination, content)];
    await expect(service.enqueue(destination, content)).resolves.toMatchObject({
      success: false,
      attempts: 0,
      message: 'notification queue is full',
    });
    expect(counter.inc).toHaveBeenCalledWith({ channel: 'ops', outcome: 'dropped' });
    await clock.advanceUntil(() => recorded.length === 1, 'the drop recorded');
    expect(recorded).toEqual([expect.objectContaining({ success: false, attempt: 0, error: 'dropped' })]);
    expect(await rows(db)).toHaveLength(2);
    expect(service.depth).toBe(2);
    await clock.advanceUntil(() => hanging.length === 1, 'the first request');
    hanging.shift()?.();
    await clock.advanceUntil(() => hanging.length === 1, 'the second request');
    hanging.shift()?.();
    await Promise.all(kept);
    expect(requests).toHaveLength(2);
    expect(service.depth).toBe(0);
    await service.beforeApplicationShutdown();
  });

  it('keeps a waiting retry stored at shutdown; after the restart it continues with the next attempt', async () => {
    const first = webhook([fail]);
    const before = startService(db, { client: first.client });
    await before.service.onApplicationBootstrap();
    const outcome = before.service.enqueue(destination, content);
    await before.clock.advanceUntil(() => before.recorded.length === 1, 'the failed attempt');
    await before.service.beforeApplicationShutdown();
    await expect(outcome).resolves.toMatchObject({
      success: false,
      attempts: 1,
      message: 'server is shutting down',
    });
    expect(before.counter.inc).not.toHaveBeenCalledWith({ channel: 'ops', outcome: 'dropped' });
    const [stored] = await rows(db);
    expect(stored).toMatchObject({
      status: 'pending',
      attempts: 1,
      headers: JSON.stringify(destination.headers),
    });

    const second = webhook([ok]);
    const after = startService(db, { client: second.client, clock: before.clock });
    await after.service.onApplicationBootstrap();
    expect(after.service.depth).toBe(1);
    await after.clock.advanceUntil(() => after.recorded.length === 1, 'the retry after the restart', {
      stepMs: 250,
    });
    expect(second.requests[0].headers).toMatchObject({
      'x-delivery-id': stored.id,
      'x-delivery-attempt': '2',
    });
    expect(after.recorded).toEqual([expect.objectContaining({ success: true, attempt: 2 })]);
    expect(await rows(db)).toMatchObject([{ id: stored.id, status: 'delivered', attempts: 2 }]);
    expect(after.service.depth).toBe(0);
    await after.service.beforeApplicationShutdown();
  });

  it('at shutdown cuts a request in flight and puts its row back without counting an attempt', async () => {
    const first = webhook([], (request) => {
      const { signal } = request;
      return new Promise((resolve) => signal?.addEventListener('abort', () => resolve(aborted)));
    });
    const before = startService(db, { client: first.client });
    await before.service.onApplicationBootstrap();
    void before.service.enqueue(destination, content);
    await before.clock.advanceUntil(() => first.requests.length === 1, 'the request in flight');
    expect(await rows(db)).toMatchObject([{ status: 'delivering', attempts: 0 }]);
    await before.service.beforeApplicationShutdown();
    expect(before.recorded).toEqual([]);
    expect(await rows(db)).toMatchObject([{ status: 'pending', attempts: 0, lease_owner: null }]);

    const second = webhook([ok]);
    const after = startService(db, { client: second.client, clock: before.clock });
    await after.service.onApplicationBootstrap();
    await after.clock.advanceUntil(() => after.recorded.length === 1, 'the delivery after the restart');
    expect(second.requests[0].headers).toMatchObject({
      'x-delivery-id': first.requests[0].headers?.['x-delivery-id'],
      'x-delivery-attempt': '1',
    });
    await after.service.beforeApplicationShutdown();
  });

  it('after a crash resumes a row left in flight (SQLite: at start) with its attempt count', async () => {
    let release: (() => void) | undefined;
    const first = webhook([fail], () =>
      first.requests.length === 1
        ? Promise.resolve(fail)
        : new Promise((resolve) => (release = () => resolve(fail))),
    );
    const dead = startService(db, { client: first.client });
    await dead.service.onApplicationBootstrap();
    void dead.service.enqueue(destination, content);
    await dead.clock.advanceUntil(() => first.requests.length === 2, 'the second attempt', { stepMs: 250 });
    // The process dies here: no shutdown, the row stays claimed by it.
    expect(await rows(db)).toMatchObject([
      { status: 'delivering', attempts: 1, lease_owner: expect.any(String) },
    ]);

    const second = webhook([ok]);
    const after = startService(db, { client: second.client, clock: new ManualClock(dead.clock.now()) });
    await after.service.onApplicationBootstrap();
    await after.clock.advanceUntil(() => after.recorded.length === 1, 'the resumed delivery');
    expect(second.requests[0].headers).toMatchObject({
      'x-delivery-id': first.requests[0].headers?.['x-delivery-id'],
      'x-delivery-attempt': '2',
    });
    expect(await rows(db)).toMatchObject([{ status: 'delivered', attempts: 2 }]);

    // The dead process's attempt, if it ever completes, no longer holds the row: its outcome is not recorded.
    release?.();
    await dead.clock.advance(0);
    expect(dead.recorded).toHaveLength(1);
    expect(await rows(db)).toMatchObject([{ status: 'delivered', attempts: 2 }]);
    await after.service.beforeApplicationShutdown();
  });

  it('delivers rows enqueued before the worker started, counted once', async () => {
    const { client, requests } = webhook([ok, ok]);
    const { service, clock } = startService(db, { client });
    const outcomes = [service.enqueue(destination, content), service.enqueue(destination, content)];
    await clock.advance(0);
    expect(requests).toHaveLength(0);
    expect(service.depth).toBe(2);
    await service.onApplicationBootstrap();
    await expect(Promise.all(outcomes)).resolves.toMatchObject([{ success: true }, { success: true }]);
    expect(service.depth).toBe(0);
    await service.beforeApplicationShutdown();
  });

  it('stores the outcome on the row even when recording it on the incident fails', async () => {
    const { client } = webhook([ok]);
    const { service, change } = startService(db, { client });
    change.mockRejectedValueOnce(new Error('incident not found'));
    await service.onApplicationBootstrap();
    await expect(service.enqueue(destination, content)).resolves.toMatchObject({ success: true });
    expect(await rows(db)).toMatchObject([{ status: 'delivered', attempts: 1 }]);
    await service.beforeApplicationShutdown();
  });

  it('keeps delivering to healthy destinations while another one hangs', async () => {
    const hanging: (() => void)[] = [];
    const { client, requests } = webhook([], (request) =>
      request.url.includes('dead')
        ? new Promise<WebhookResult>((resolve) => hanging.push(() => resolve(fail)))
        : Promise.resolve(ok),
    );
    const { service, clock } = startService(db, { client, concurrency: 2 });
    await service.onApplicationBootstrap();
    const dead = { ...destination, label: 'dead', url: 'http://127.0.0.1:1/dead' };
    void service.enqueue(dead, content);
    void service.enqueue(dead, content);
    await clock.advanceUntil(() => requests.length === 1, 'the dead destination holding its share');
    await expect(service.enqueue(destination, content)).resolves.toMatchObject({ success: true });
    expect(requests.map((request) => request.url)).toEqual([
      'http://127.0.0.1:1/dead',
      'http://127.0.0.1:1/x',
    ]);
    const shutdown = service.beforeApplicationShutdown();
    hanging.forEach((resume) => resume());
    await shutdown;
  });
});
