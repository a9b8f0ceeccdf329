import request from 'supertest';
import { withoutNodeLabel } from './support/metrics-text';
import { NotificationChannelsService } from '../src/notifications/notification-channels.service';
import { EventCapture } from './support/event-capture';
import { eventually } from './support/eventually';
import { alertBody, createIncident } from './support/fixtures';
import { HttpReceiver, refusingUrl } from './support/http-receiver';
import { ManualClock } from './support/manual-clock';
import { startTestApp, TestApp } from './support/test-app';
import { WsTestClient } from './support/ws-test-client';

const notificationEvents = (events: EventCapture, incidentId: string) =>
  events.envelopes
    .map((e) => e.event)
    .filter((e) => e.event_type === 'notification_sent' && e.incident_id === incidentId);

describe('notification channels: REST and delivery', () => {
  let t: TestApp;
  let clock: ManualClock;
  let events: EventCapture;
  const receivers: HttpReceiver[] = [];

  const receiver = async (behaviour: Parameters<typeof HttpReceiver.start>[0] = {}) => {
    const r = await HttpReceiver.start(behaviour);
    receivers.push(r);
    return r;
  };

  const channel = async (body: Record<string, unknown>) =>
    (await request(t.baseUrl).post('/v1/notification-channels').send(body).expect(201)).body as {
      id: string;
      name: string;
    };

  /** Moves the clock `step` ms at a time until `check` holds: deliveries mix real I/O with clock timers. */

  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp(
      {
        NOTIFICATION_MAX_ATTEMPTS: '3',
        NOTIFICATION_RETRY_BACKOFF: '0.05',
        NOTIFICATION_TIMEOUT: '0.5',
      },
      undefined,
      { clock },
    );
    events = new EventCapture(t.app);
  });

  afterEach(async () => {
    const { channels } = (await request(t.baseUrl).get('/v1/notification-channels').expect(200)).body;
    for (const c of channels as { id: string }[]) {
      await request(t.baseUrl).delete(`/v1/notification-channels/${c.id}`).expect(204);
    }
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    events.clear();
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  it('creates, lists, replaces and deletes a channel, masking its header values', async () => {
    const created = await request(t.baseUrl)
      .post('/v1/notification-channels')
      .send({
        name: 'ops-webhook',
        type: 'webhook',
        url: 'http://127.0.0.1:9/hook',
        headers: { Authorization: 'Bearer secret' },
      })
      .expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'ops-webhook',
      type: 'webhook',
      url: 'http://127.0.0.1:9/hook',
      enabled: true,
      events: ['incident_created', 'escalated', 'incident_resolved'],
      severities: [],
      headers: { Authorization: '********' },
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    const id = created.body.id as string;
    // What GET returns can be sent back as is; the masked value keeps the stored secret.
    const fetched = (await request(t.baseUrl).get(`/v1/notification-channels/${id}`).expect(200)).body;
    await request(t.baseUrl).put(`/v1/notification-channels/${id}`).send(fetched).expect(200);
    expect((await t.app.get(NotificationChannelsService).get(id)).headers).toEqual({
      Authorization: 'Bearer secret',
    });
    expect(
      (await request(t.baseUrl).get(`/v1/notification-channels/${id.toUpperCase()}`).expect(200)).body.name,
    ).toBe('ops-webhook');

    const replaced = await request(t.baseUrl)
      .put(`/v1/notification-channels/${id}`)
      .send({
        name: 'ops-slack',
        type: 'slack',
        url: 'https://hooks.example.com/x',
        severities: ['P0'],
        enabled: false,
      })
      .expect(200);
    expect(replaced.body).toMatchObject({
      id,
      name: 'ops-slack',
      type: 'slack',
      severities: ['P0'],
      enabled: false,
      headers: {},
    });
    expect(replaced.body.created_at).toBe(created.body.created_at);

    const list = (await request(t.baseUrl).get('/v1/notification-channels').expect(200)).body.channels;
    expect(list.map((c: { id: string }) => c.id)).toEqual([id]);

    await request(t.baseUrl).delete(`/v1/notification-channels/${id}`).expect(204);
    await request(t.baseUrl).get(`/v1/notification-channels/${id}`).expect(404);
    await request(t.baseUrl).delete(`/v1/notification-channels/${id}`).expect(404);
  });

  it.each([
    ['a non-http URL', { url: 'ftp://example.com/x' }],
    ['a URL without scheme', { url: 'example.com/hook' }],
    ['an unknown type', { type: 'email' }],
    ['an unknown event', { events: ['incident_updated'] }],
    ['an unknown severity', { severities: ['P9'] }],
    ['null enabled', { enabled: null }],
    ['a reserved header', { headers: { 'Content-Type': 'text/plain' } }],
    ['an empty name', { name: '' }],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_what, override) => {
    const res = await request(t.baseUrl)
      .post('/v1/notification-channels')
      .send({ name: 'bad', type: 'webhook', url: 'http://127.0.0.1:9/x', ...override })
      .expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('rejects a second channel with the same name', async () => {
    await channel({ name: 'dup', type: 'webhook', url: 'http://127.0.0.1:9/x' });
    const res = await request(t.baseUrl)
      .post('/v1/notification-channels')
      .send({ name: 'dup', type: 'slack', url: 'http://127.0.0.1:9/y' })
      .expect(409);
    expect(res.body.error).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/already exists/),
    });
  });

  it('posts the incident to a webhook channel on creation and records notification_sent and a timeline entry', async () => {
    const hook = await receiver();
    await channel({
      name: 'generic',
      type: 'webhook',
      url: hook.url('/incidents'),
      headers: { 'X-Token': 't0k' },
    });
    const incident = await createIncident(t.baseUrl, { severity: 'P1' });

    await hook.waitFor(1);
    const [received] = hook.requests;
    expect(received.method).toBe('POST');
    expect(received.path).toBe('/incidents');
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers['x-token']).toBe('t0k');
    expect(received.headers['x-delivery-attempt']).toBe('1');
    expect(received.body).toMatchObject({
      trigger: 'incident_created',
      channel: 'generic',
      message: expect.stringContaining(incident.title),
      incident: { id: incident.id, severity: 'P1', state: 'Detected' },
    });

    await eventually(() => notificationEvents(events, incident.id).length === 1, 3000, 'notification_sent');
    expect(notificationEvents(events, incident.id)).toEqual([
      {
        event_type: 'notification_sent',
        incident_id: incident.id,
        channel: 'generic',
        success: true,
        attempt: 1,
        status_code: 200,
        error: null,
      },
    ]);
    const stored = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
    const entries = stored.timeline.filter(
      (e: { event_type: string }) => e.event_type === 'NotificationSent',
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: 'notification-service',
      metadata: {
        channel: 'generic',
        outcome: 'success',
        attempt: '1',
        status: '200',
        trigger: 'incident_created',
      },
    });
    const log = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}/events`).expect(200)).body.events;
    expect(log.map((e: { event_type: string }) => e.event_type)).toContain('notification_sent');
  });

  it('delivers notification_sent to a WebSocket subscriber, matched against the incident', async () => {
    const hook = await receiver();
    await channel({ name: 'ws-visible', type: 'webhook', url: hook.url() });
    const subscriber = await WsTestClient.connect(t.wsUrl);
    await subscriber.subscribe('test', {
      event_types: ['notification_sent'],
      labels: { team: 'ws-test' },
    });
    try {
      const other = await createIncident(t.baseUrl);
      const incident = await createIncident(t.baseUrl, { labels: { team: 'ws-test' } });
      const frame = await subscriber.waitFor((e) => e.event?.incident_id === incident.id);
      expect(frame.event).toEqual({
        event_type: 'notification_sent',
        incident_id: incident.id,
        channel: 'ws-visible',
        success: true,
        attempt: 1,
        status_code: 200,
        error: null,
      });
      await eventually(
        () => notificationEvents(events, other.id).length === 1,
        2000,
        'the other notification',
      );
      expect(subscriber.receivedEvents().some((e) => e.event.incident_id === other.id)).toBe(false);
    } finally {
      await subscriber.close();
    }
  });

  it('sends a Slack-compatible payload to a slack channel', async () => {
    const hook = await receiver();
    await channel({ name: 'slack-ops', type: 'slack', url: hook.url('/services/T/B/X') });
    const incident = await createIncident(t.baseUrl, { severity: 'P0' });
    await hook.waitFor(1);
    expect(hook.requests[0].body).toEqual({
      text: expect.stringContaining(`[P0] New incident: ${incident.title}`),
      attachments: [
        expect.objectContaining({
          title: incident.title,
          fields: expect.arrayContaining([{ title: 'Severity', value: 'P0', short: true }]),
        }),
      ],
    });
  });

  it('notifies on creation only for the channel severities, and on escalation and resolution', async () => {
    const hook = await receiver();
    await channel({ name: 'urgent-only', type: 'webhook', url: hook.url(), severities: ['P0', 'P1'] });
    const low = await createIncident(t.baseUrl, { severity: 'P3' });
    await request(t.baseUrl)
      .post(`/v1/incidents/${low.id}/escalate`)
      .send({ to_severity: 'P1', reason: 'customers affected' })
      .expect(200);
    await hook.waitFor(1);
    expect(hook.requests[0].body).toMatchObject({
      trigger: 'escalated',
      escalation: { from_severity: 'P3', to_severity: 'P1', reason: 'customers affected' },
      incident: { id: low.id, severity: 'P1' },
    });
    await request(t.baseUrl)
      .post(`/v1/incidents/${low.id}/resolve`)
      .send({ resolved_by: 'alice', method: 'Manual', notes: 'fixed' })
      .expect(200);
    await hook.waitFor(2);
    expect(hook.requests[1].body).toMatchObject({
      trigger: 'incident_resolved',
      message: expect.stringContaining('resolved by alice'),
      incident: { id: low.id, state: 'Resolved' },
    });
    await eventually(() => notificationEvents(events, low.id).length === 2, 3000, 'two notification_sent');
    expect(hook.requests).toHaveLength(2);
  });

  it('does not notify through a disabled channel or for an event it did not choose', async () => {
    const hook = await receiver();
    await channel({ name: 'off', type: 'webhook', url: hook.url(), enabled: false });
    await channel({
      name: 'resolved-only',
      type: 'webhook',
      url: hook.url('/resolved'),
      events: ['incident_resolved'],
    });
    const incident = await createIncident(t.baseUrl);
    await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/resolve`)
      .send({ resolved_by: 'bob', method: 'Manual', notes: '' })
      .expect(200);
    await hook.waitFor(1);
    // Sentinel: a channel added afterwards is notified of a later incident; a wrong delivery for the first
    // incident, queued before it, would have arrived by then.
    await channel({ name: 'sentinel', type: 'webhook', url: hook.url('/sentinel') });
    await createIncident(t.baseUrl);
    await hook.waitFor(2);
    expect(hook.requests.map((r) => r.path)).toEqual(['/resolved', '/sentinel']);
  });

  it('retries a failing receiver with backoff: every attempt is an event and a timeline entry', async () => {
    const hook = await receiver({ script: [500, 503] });
    await channel({ name: 'flaky', type: 'webhook', url: hook.url() });
    const incident = await createIncident(t.baseUrl);
    const attempts = () => notificationEvents(events, incident.id).length;

    // Backoff on the clock: the second attempt 50 ms after the first failed, the third 100 ms after that.
    await eventually(() => attempts() === 1, 3000, 'the first attempt');
    await clock.advance(49);
    expect(hook.requests).toHaveLength(1);
    await clock.advance(1);
    await eventually(() => attempts() === 2, 3000, 'the second attempt');
    await clock.advance(99);
    expect(hook.requests).toHaveLength(2);
    await clock.advance(1);
    await eventually(() => attempts() === 3, 3000, 'the third attempt');
    expect(notificationEvents(events, incident.id).map((e) => 'success' in e && e.success)).toEqual([
      false,
      false,
      true,
    ]);
    expect(hook.requests.map((r) => r.headers['x-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(hook.requests.map((r) => r.headers['x-delivery-id'])).size).toBe(1);

    const stored = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
    const outcomes = stored.timeline
      .filter((e: { event_type: string }) => e.event_type === 'NotificationSent')
      .map((e: { metadata: Record<string, string> }) => [
        e.metadata.attempt,
        e.metadata.outcome,
        e.metadata.status,
      ]);
    expect(outcomes).toEqual([
      ['1', 'failure', '500'],
      ['2', 'failure', '503'],
      ['3', 'success', '200'],
    ]);
    const metrics = withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text);
    expect(metrics).toMatch(
      /llm_incident_manager_notifications_total\{channel="flaky",outcome="failure"\} 2/,
    );
    expect(metrics).toMatch(
      /llm_incident_manager_notifications_total\{channel="flaky",outcome="success"\} 1/,
    );
  });

  it('gives up after the last attempt on a refusing receiver and on one that times out', async () => {
    // It never answers within the test: each attempt ends at its 500 ms deadline on the clock.
    const silent = await receiver({ delayMs: 60_000 });
    await channel({ name: 'refusing', type: 'webhook', url: await refusingUrl() });
    await channel({ name: 'silent', type: 'webhook', url: silent.url() });
    const incident = await createIncident(t.baseUrl);

    await clock.advanceUntil(
      () => notificationEvents(events, incident.id).length === 6,
      'six failed attempts',
      { firstMs: 250, stepMs: 250 },
    );
    expect(silent.requests).toHaveLength(3);
    expect(notificationEvents(events, incident.id).every((e) => 'success' in e && !e.success)).toBe(true);
    const stored = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
    const descriptions = stored.timeline
      .filter((e: { event_type: string }) => e.event_type === 'NotificationSent')
      .map((e: { description: string }) => e.description);
    expect(descriptions.filter((d: string) => d.includes('connection failed'))).toHaveLength(3);
    expect(descriptions.filter((d: string) => d.includes('timed out'))).toHaveLength(3);
  });

  it('never holds up alert ingestion, however dead the receivers are', async () => {
    const slow = await receiver({ delayMs: 2000 });
    await channel({ name: 'dead', type: 'webhook', url: await refusingUrl() });
    await channel({ name: 'sluggish', type: 'slack', url: slow.url() });
    const started = Date.now();
    for (let i = 0; i < 10; i += 1) {
      await request(t.baseUrl).post('/v1/alerts').send(alertBody()).expect(200);
    }
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('notification queue bound', () => {
  it('drops deliveries beyond NOTIFICATION_QUEUE_SIZE and counts them, without blocking', async () => {
    const clock = new ManualClock();
    const t = await startTestApp(
      {
        NOTIFICATION_QUEUE_SIZE: '2',
        NOTIFICATION_CONCURRENCY: '1',
        NOTIFICATION_MAX_ATTEMPTS: '1',
        NOTIFICATION_TIMEOUT: '1',
      },
      undefined,
      { clock },
    );
    const events = new EventCapture(t.app);
    // It never answers: each delivery holds the only worker until its 1 s deadline on the clock.
    const slow = await HttpReceiver.start({ delayMs: 60_000 });
    try {
      await request(t.baseUrl)
        .post('/v1/notification-channels')
        .send({ name: 'narrow', type: 'webhook', url: slow.url() })
        .expect(201);
      for (let i = 0; i < 5; i += 1) {
        await createIncident(t.baseUrl);
      }
      const metrics = async () =>
        withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text);
      expect(await metrics()).toMatch(
        /llm_incident_manager_notifications_total\{channel="narrow",outcome="dropped"\} 3/,
      );
      // Each drop is also told: a failed notification_sent and a timeline entry on its incident.
      const drops = await eventually(
        () => {
          const found = events.envelopes
            .map((e) => e.event)
            .filter((e) => e.event_type === 'notification_sent' && e.error === 'dropped');
          return found.length === 3 && found;
        },
        3000,
        'three dropped notifications',
      );
      for (const drop of drops) {
        expect(drop).toMatchObject({ channel: 'narrow', success: false, attempt: 0, status_code: null });
        if (drop.event_type !== 'notification_sent') throw new Error('not a notification_sent');
        const stored = (await request(t.baseUrl).get(`/v1/incidents/${drop.incident_id}`).expect(200)).body;
        expect(stored.timeline).toContainEqual(
          expect.objectContaining({
            event_type: 'NotificationSent',
            description: expect.stringContaining('dropped'),
            metadata: expect.objectContaining({ outcome: 'dropped', channel: 'narrow' }),
          }),
        );
      }
      await slow.waitFor(1);
      await clock.advance(1000);
      await slow.waitFor(2);
      await clock.advance(1000);
      await eventually(
        async () => /notification_queue_depth 0/.test(await metrics()),
        3000,
        'an empty queue',
      );
      expect(slow.requests).toHaveLength(2);
    } finally {
      await t.cleanup();
      await slow.close();
    }
  });
});
