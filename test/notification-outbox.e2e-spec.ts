import request from 'supertest';
import { withoutNodeLabel } from './support/metrics-text';
import { eventually } from './support/eventually';
import { createIncident } from './support/fixtures';
import { HttpReceiver, refusingUrl } from './support/http-receiver';
import { ManualClock } from './support/manual-clock';
import { describeOnEachStore } from './support/stores';
import { TestApp, startTestApp } from './support/test-app';

interface LogEntry {
  event: { event_type: string; channel?: string; attempt?: number; success?: boolean; error?: string | null };
}

/** The notification_sent events of one incident, from the event log. */
async function notificationsSent(t: TestApp, incidentId: string): Promise<LogEntry['event'][]> {
  const { events } = (await request(t.baseUrl).get(`/v1/incidents/${incidentId}/events`).expect(200))
    .body as {
    events: LogEntry[];
  };
  return events.map((e) => e.event).filter((e) => e.event_type === 'notification_sent');
}

/** The `dropped` count of the `bounded` channel. */
async function dropped(t: TestApp): Promise<number> {
  const text = withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text);
  const match = /llm_incident_manager_notifications_total\{channel="bounded",outcome="dropped"\} (\d+)/.exec(
    text,
  );
  return match ? Number(match[1]) : 0;
}

describeOnEachStore('notification outbox across an application restart', (store) => {
  const apps: TestApp[] = [];
  const receivers: HttpReceiver[] = [];

  /** Starts the app on the store (the same SQLite file or PostgreSQL database as `previous`, if given). */
  const start = async (
    clock: ManualClock,
    env: Record<string, string>,
    previous?: TestApp & { dir: string },
  ) => {
    const t = await startTestApp({ ...store.overrides(), ...env }, previous, { clock });
    apps.push(t);
    return t;
  };

  afterEach(async () => {
    // The PostgreSQL database is shared by the tests of this block: no channel outlives its test.
    const last = apps.at(-1);
    if (last) {
      const { channels } = (await request(last.baseUrl).get('/v1/notification-channels').expect(200))
        .body as {
        channels: { id: string }[];
      };
      for (const c of channels) {
        await request(last.baseUrl).delete(`/v1/notification-channels/${c.id}`).expect(204);
      }
    }
    for (const t of apps.splice(0).reverse()) await t.close();
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  afterAll(async () => {
    for (const t of apps.splice(0)) await t.cleanup();
  });

  it('a delivery waiting for its retry at shutdown is retried by the next start: same x-delivery-id, next attempt', async () => {
    const hook = await HttpReceiver.start({ script: [503] });
    receivers.push(hook);
    const env = { NOTIFICATION_RETRY_BACKOFF: '1', NOTIFICATION_MAX_ATTEMPTS: '3' };
    const clock = new ManualClock();
    const first = await start(clock, env);
    await request(first.baseUrl)
      .post('/v1/notification-channels')
      .send({ name: 'restart-hook', type: 'webhook', url: hook.url(), headers: { 'X-Token': 't0k' } })
      .expect(201);
    const incident = await createIncident(first.baseUrl);
    await hook.waitFor(1);
    await eventually(
      async () => (await notificationsSent(first, incident.id)).length === 1,
      5000,
      'the failed attempt recorded',
    );
    await first.close();

    // The retry was due one second after the failure; the new process's clock has moved past it.
    const later = new ManualClock(clock.now() + 1000);
    const second = await start(later, env, first);
    await hook.waitFor(2);
    expect(hook.requests.map((r) => r.headers['x-delivery-attempt'])).toEqual(['1', '2']);
    expect(hook.requests[1].headers['x-delivery-id']).toBe(hook.requests[0].headers['x-delivery-id']);
    expect(hook.requests[1].headers['x-token']).toBe('t0k');
    await eventually(
      async () => (await notificationsSent(second, incident.id)).length === 2,
      5000,
      'the retry recorded',
    );
    expect(await notificationsSent(second, incident.id)).toMatchObject([
      { channel: 'restart-hook', attempt: 1, success: false, error: 'HTTP 503' },
      { channel: 'restart-hook', attempt: 2, success: true, error: null },
    ]);
    const metrics = withoutNodeLabel((await request(second.baseUrl).get('/metrics').expect(200)).text);
    expect(metrics).toMatch(/llm_incident_manager_notification_queue_depth 0/);
  });

  it('the bound counts the stored undelivered rows, also after a restart: beyond it a delivery is dropped', async () => {
    // Connections are refused and the retry is far away: every delivery stays undelivered in the outbox.
    const env = {
      NOTIFICATION_QUEUE_SIZE: '2',
      NOTIFICATION_RETRY_BACKOFF: '3600',
      NOTIFICATION_MAX_ATTEMPTS: '5',
    };
    const clock = new ManualClock();
    const first = await start(clock, env);
    await request(first.baseUrl)
      .post('/v1/notification-channels')
      .send({ name: 'bounded', type: 'webhook', url: await refusingUrl() })
      .expect(201);
    // The metrics registry is one per process: the counter goes on from what earlier tests counted.
    const dropsBefore = await dropped(first);
    for (let i = 0; i < 3; i += 1) await createIncident(first.baseUrl);
    expect(await dropped(first)).toBe(dropsBefore + 1);
    await first.close();

    const second = await start(new ManualClock(clock.now()), env, first);
    expect(withoutNodeLabel((await request(second.baseUrl).get('/metrics').expect(200)).text)).toMatch(
      /llm_incident_manager_notification_queue_depth 2/,
    );
    const incident = await createIncident(second.baseUrl);
    await eventually(
      async () => (await notificationsSent(second, incident.id)).length === 1,
      5000,
      'the drop recorded',
    );
    expect(await notificationsSent(second, incident.id)).toEqual([
      {
        event_type: 'notification_sent',
        incident_id: incident.id,
        channel: 'bounded',
        success: false,
        attempt: 0,
        status_code: null,
        error: 'dropped',
      },
    ]);
    expect(await dropped(second)).toBe(dropsBefore + 2);
  });
});
