import { Logger } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import type { AppConfig } from '../config/app-config';
import type { Incident } from '../domain';
import type { EventRecorder } from '../events/event-publisher.service';
import type { IncidentsService } from '../incidents/incidents.service';
import { Destination, NotificationQueueService } from './notification-queue.service';
import type { WebhookClient, WebhookResult } from './webhook.client';

const incident = { id: 'i-1', severity: 'P1', title: 't', timeline: [] } as unknown as Incident;
const destination: Destination = { label: 'ops', type: 'webhook', url: 'http://127.0.0.1:1/x', headers: {} };
const content = { trigger: 'incident_created' as const, message: 'm', incident };

function setup(options: {
  results: WebhookResult[];
  queueSize?: number;
  concurrency?: number;
  post?: (request: { url: string }) => Promise<WebhookResult>;
}) {
  const results = [...options.results];
  const post = jest.fn(
    options.post ??
      ((): Promise<WebhookResult> => {
        const next = results.shift();
        if (!next) throw new Error('unexpected request');
        return Promise.resolve(next);
      }),
  );
  const recorded: { channel: string; success: boolean }[] = [];
  const change = jest.fn((_id: string, mutate: (i: Incident, e: EventRecorder, now: string) => boolean) => {
    const copy = { ...incident, timeline: [] } as Incident;
    mutate(copy, { record: (event) => recorded.push(event as never) }, '2026-01-01T00:00:00.000Z');
    return Promise.resolve(copy);
  });
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
  const clock = new ManualClock();
  const service = new NotificationQueueService(
    config,
    clock,
    { post } as unknown as WebhookClient,
    { change } as unknown as IncidentsService,
    counter as unknown as Counter<string>,
    gauge as unknown as Gauge<string>,
  );
  return { service, clock, post, change, recorded, counter };
}

const ok: WebhookResult = { ok: true, status: 200, message: 'HTTP 200' };
const fail: WebhookResult = { ok: false, status: 500, message: 'HTTP 500' };

describe('NotificationQueueService', () => {
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));

  it('delivers once and records one successful attempt', async () => {
    const { service, post, recorded, counter } = setup({ results: [ok] });
    await expect(service.enqueue(destination, content)).resolves.toEqual({
      channel: 'ops',
      success: true,
      attempts: 1,
      message: 'HTTP 200',
    });
    expect(post).toHaveBeenCalledTimes(1);
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
    expect(counter.inc).toHaveBeenCalledWith({ channel: 'ops', outcome: 'success' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(service.depth).toBe(0);
  });

  it('retries with exponential backoff and records every attempt', async () => {
    const { service, clock, post, recorded } = setup({ results: [fail, fail, ok] });
    const outcome = service.enqueue(destination, content);
    await clock.advance(0);
    expect(post).toHaveBeenCalledTimes(1);
    await clock.advance(999);
    expect(post).toHaveBeenCalledTimes(1);
    await clock.advance(1);
    expect(post).toHaveBeenCalledTimes(2);
    await clock.advance(1999);
    expect(post).toHaveBeenCalledTimes(2);
    await clock.advance(1);
    await expect(outcome).resolves.toMatchObject({ success: true, attempts: 3 });
    expect(recorded.map((e) => e.success)).toEqual([false, false, true]);
  });

  it('gives up after maxAttempts', async () => {
    const { service, clock, post } = setup({ results: [fail, fail, fail] });
    const outcome = service.enqueue(destination, content);
    await clock.advance(10_000);
    await expect(outcome).resolves.toMatchObject({ success: false, attempts: 3, message: 'HTTP 500' });
    expect(post).toHaveBeenCalledTimes(3);
  });

  it('drops and counts a delivery when the queue is full, without calling the receiver', async () => {
    const { service, post, counter } = setup({ results: [ok], queueSize: 1, concurrency: 1 });
    const first = service.enqueue(destination, content);
    await expect(service.enqueue(destination, content)).resolves.toMatchObject({
      success: false,
      attempts: 0,
      message: 'notification queue is full',
    });
    expect(counter.inc).toHaveBeenCalledWith({ channel: 'ops', outcome: 'dropped' });
    await first;
    expect(post).toHaveBeenCalledTimes(1);
  });

  it('at shutdown settles waiting retries as dropped and accepts nothing more', async () => {
    const { service, clock, post } = setup({ results: [fail] });
    const outcome = service.enqueue(destination, content);
    await clock.advance(0);
    await service.beforeApplicationShutdown();
    await expect(outcome).resolves.toMatchObject({ success: false, message: 'server is shutting down' });
    await expect(service.enqueue(destination, content)).resolves.toMatchObject({ attempts: 0 });
    expect(post).toHaveBeenCalledTimes(1);
    expect(service.depth).toBe(0);
  });

  it('keeps delivering when recording an attempt fails', async () => {
    const { service, change } = setup({ results: [ok] });
    change.mockRejectedValueOnce(new Error('database is closed'));
    await expect(service.enqueue(destination, content)).resolves.toMatchObject({ success: true });
  });

  it('keeps delivering to healthy destinations while another one hangs', async () => {
    const hanging: (() => void)[] = [];
    const { service, post } = setup({
      results: [],
      concurrency: 2,
      post: (request) =>
        request.url.includes('dead')
          ? new Promise<WebhookResult>((resolve) => hanging.push(() => resolve(fail)))
          : Promise.resolve(ok),
    });
    const dead = { ...destination, label: 'dead', url: 'http://127.0.0.1:1/dead' };
    const stuck = [service.enqueue(dead, content), service.enqueue(dead, content)];
    await expect(service.enqueue(destination, content)).resolves.toMatchObject({ success: true });
    expect(post.mock.calls.map(([request]) => request.url)).toEqual([
      'http://127.0.0.1:1/dead',
      'http://127.0.0.1:1/x',
    ]);
    const shutdown = service.beforeApplicationShutdown();
    hanging.forEach((release) => release());
    await shutdown;
    await Promise.all(stuck);
  });
});
