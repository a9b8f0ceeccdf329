import request from 'supertest';
import { EventCapture } from './support/event-capture';
import { alertBody } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { startTestApp, TestApp } from './support/test-app';

describe('POST /v1/alerts: alert -> incident with deduplication', () => {
  let t: TestApp;
  let events: EventCapture;

  beforeAll(async () => {
    t = await startTestApp({ DEDUP_WINDOW_SECS: '900' });
    events = new EventCapture(t.app);
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  beforeEach(() => events.clear());

  it('accepts a new alert, creates an incident mapped from it and publishes received, converted, created', async () => {
    const body = alertBody({
      runbook_url: 'https://runbooks.example.com/high-error-rate',
      annotations: { dashboard: 'https://grafana/d/1' },
      external_id: 'ext-123',
    });
    const res = await request(t.baseUrl).post('/v1/alerts').send(body).expect(200);
    expect(res.body).toEqual({
      alert_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      incident_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      status: 'Accepted',
      message: expect.any(String),
    });

    const incident = (await request(t.baseUrl).get(`/v1/incidents/${res.body.incident_id}`).expect(200)).body;
    expect(incident).toMatchObject({
      state: 'Detected',
      severity: 'P1',
      incident_type: 'Application',
      source: 'prometheus',
      title: body.title,
      description: body.description,
      affected_resources: ['checkout-api'],
      labels: {
        env: 'prod',
        team: 'payments',
        runbook_url: 'https://runbooks.example.com/high-error-rate',
        annotation_dashboard: 'https://grafana/d/1',
      },
      related_incidents: [],
      active_playbook: null,
      resolution: null,
      assignees: [],
      notes: [],
      correlation_score: null,
    });
    expect(incident.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(incident.timeline).toHaveLength(1);
    expect(incident.timeline[0]).toMatchObject({ event_type: 'Created', actor: 'system' });

    const alert = (await request(t.baseUrl).get(`/v1/alerts/${res.body.alert_id}`).expect(200)).body;
    expect(alert).toMatchObject({
      external_id: 'ext-123',
      incident_id: res.body.incident_id,
      deduplicated: false,
      parent_alert_id: null,
    });

    expect(events.types).toEqual(['alert_received', 'alert_converted', 'incident_created']);
    const [received, converted, created] = events.envelopes;
    expect(received.event).toMatchObject({
      alert: { id: res.body.alert_id, incident_id: res.body.incident_id },
    });
    expect(converted.event).toMatchObject({ incident_id: res.body.incident_id });
    expect(created.event).toMatchObject({ incident: { id: res.body.incident_id } });
    expect(received.sequence).toBeLessThan(converted.sequence);
    expect(converted.sequence).toBeLessThan(created.sequence);
  });

  it('attaches a duplicate inside the window to the active incident and publishes received + updated', async () => {
    const body = alertBody();
    const first = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    events.clear();
    const second = (
      await request(t.baseUrl)
        .post('/v1/alerts')
        .send({ ...body, description: 'again' })
        .expect(200)
    ).body;
    expect(second.status).toBe('Duplicate');
    expect(second.incident_id).toBe(first.incident_id);
    expect(second.alert_id).not.toBe(first.alert_id);

    expect(events.types).toEqual(['alert_received', 'incident_updated']);
    expect(events.envelopes[0].event).toMatchObject({
      alert: { deduplicated: true, incident_id: first.incident_id },
    });
    expect(events.envelopes[1].event).toMatchObject({ previous_state: null });

    const dup = (await request(t.baseUrl).get(`/v1/alerts/${second.alert_id}`).expect(200)).body;
    expect(dup).toMatchObject({ deduplicated: true, parent_alert_id: first.alert_id });
    const incident = (await request(t.baseUrl).get(`/v1/incidents/${first.incident_id}`).expect(200)).body;
    expect(incident.timeline.map((e: { event_type: string }) => e.event_type)).toEqual([
      'Created',
      'AlertReceived',
    ]);
    expect(incident.timeline[1].actor).toBe('deduplication-engine');
  });

  it('treats a different source, type, title or service as a different incident', async () => {
    const body = alertBody();
    const first = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    for (const change of [
      { source: 'other' },
      { alert_type: 'Security' },
      { title: `${String(body.title)}!` },
      { affected_services: ['checkout-api', 'cart'] },
    ]) {
      const res = (
        await request(t.baseUrl)
          .post('/v1/alerts')
          .send({ ...body, ...change })
          .expect(200)
      ).body;
      expect(res.status).toBe('Accepted');
      expect(res.incident_id).not.toBe(first.incident_id);
    }
  });

  it('does not deduplicate against an incident that is no longer active', async () => {
    const body = alertBody();
    const first = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    await request(t.baseUrl)
      .post(`/v1/incidents/${first.incident_id}/resolve`)
      .send({ resolved_by: 'alice', method: 'Manual', notes: 'fixed' })
      .expect(200);
    const again = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    expect(again.status).toBe('Accepted');
    expect(again.incident_id).not.toBe(first.incident_id);
  });

  it('stores every alert, duplicates included', async () => {
    const body = alertBody();
    const first = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    const dups = [];
    for (let i = 0; i < 3; i += 1) {
      dups.push((await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body);
    }
    for (const dup of dups) {
      await request(t.baseUrl).get(`/v1/alerts/${dup.alert_id}`).expect(200);
      expect(dup.incident_id).toBe(first.incident_id);
    }
    const alerts = (await request(t.baseUrl).get(`/v1/incidents/${first.incident_id}/alerts`).expect(200))
      .body;
    expect(alerts.alerts).toHaveLength(4);
  });
});

describe('deduplication window', () => {
  const clock = new ManualClock();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ DEDUP_WINDOW_SECS: '300' }, undefined, { clock });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('deduplicates up to the end of the window and opens a new incident once it has passed', async () => {
    const body = alertBody();
    const first = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    await clock.advance(299_000);
    const inside = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    expect(inside.status).toBe('Duplicate');
    expect(inside.incident_id).toBe(first.incident_id);
    // The window slides from the last alert (contract section 9): 301 s after it, not after the first.
    await clock.advance(301_000);
    const outside = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    expect(outside.status).toBe('Accepted');
    expect(outside.incident_id).not.toBe(first.incident_id);
  });
});
