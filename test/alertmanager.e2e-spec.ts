import request from 'supertest';
import { EventCapture } from './support/event-capture';
import { amAlert, amWebhook } from './support/fixtures';
import { startTestApp, TestApp } from './support/test-app';

const PATH = '/v1/integrations/alertmanager';

describe('POST /v1/integrations/alertmanager', () => {
  let t: TestApp;
  let events: EventCapture;
  let run = 0;

  beforeAll(async () => {
    t = await startTestApp();
    events = new EventCapture(t.app);
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  beforeEach(() => {
    events.clear();
    run += 1;
  });

  const labels = (extra: Record<string, string> = {}) => ({
    alertname: `HighLatency${run}`,
    instance: 'api-1',
    severity: 'critical',
    service: 'checkout',
    type: 'Performance',
    source: 'prometheus-eu',
    env: 'prod',
    ...extra,
  });

  it('maps a firing alert exactly as the contract says and acks it in order', async () => {
    const firing = amAlert('firing', labels(), {
      annotations: {
        summary: 'p99 above 2s',
        description: 'checkout slow',
        runbook_url: 'https://rb/latency',
      },
    });
    const res = await request(t.baseUrl)
      .post(PATH)
      .send(amWebhook([firing]))
      .expect(200);
    expect(res.body.acks).toEqual([
      {
        alert_id: expect.any(String),
        incident_id: expect.any(String),
        status: 'Accepted',
        message: expect.any(String),
      },
    ]);
    const alert = (await request(t.baseUrl).get(`/v1/alerts/${res.body.acks[0].alert_id}`).expect(200)).body;
    expect(alert).toMatchObject({
      external_id: firing.fingerprint,
      source: 'prometheus-eu',
      severity: 'P0',
      alert_type: 'Performance',
      title: 'p99 above 2s',
      description: 'checkout slow',
      affected_services: ['checkout'],
      runbook_url: 'https://rb/latency',
      labels: labels(),
      annotations: {
        summary: 'p99 above 2s',
        description: 'checkout slow',
        runbook_url: 'https://rb/latency',
      },
      timestamp: '2026-11-25T10:00:00Z',
    });
    expect(events.types).toEqual(['alert_received', 'alert_converted', 'incident_created']);
  });

  it('falls back to alertname, empty description, source alertmanager, type Unknown, no services', async () => {
    const firing = amAlert('firing', { alertname: `Bare${run}`, type: 'NotAType' }, { annotations: {} });
    const res = await request(t.baseUrl)
      .post(PATH)
      .send(amWebhook([firing]))
      .expect(200);
    const alert = (await request(t.baseUrl).get(`/v1/alerts/${res.body.acks[0].alert_id}`).expect(200)).body;
    expect(alert).toMatchObject({
      title: `Bare${run}`,
      description: '',
      source: 'alertmanager',
      alert_type: 'Unknown',
      affected_services: [],
      severity: 'P2',
      runbook_url: null,
    });
  });

  it('is idempotent for a re-delivered group: same acks, nothing new stored or published', async () => {
    const hook = amWebhook([
      amAlert('firing', labels({ instance: 'a' })),
      amAlert('firing', labels({ instance: 'b' })),
    ]);
    const first = (await request(t.baseUrl).post(PATH).send(hook).expect(200)).body;
    // Two label sets: two incidents (contract section 9).
    expect(first.acks.map((a: { status: string }) => a.status)).toEqual(['Accepted', 'Accepted']);
    events.clear();
    const again = (await request(t.baseUrl).post(PATH).send(hook).expect(200)).body;
    expect(again.acks.map((a: { status: string }) => a.status)).toEqual(['Duplicate', 'Duplicate']);
    expect(again.acks.map((a: { alert_id: string }) => a.alert_id)).toEqual(
      first.acks.map((a: { alert_id: string }) => a.alert_id),
    );
    expect(events.types).toEqual([]);
    for (const ack of first.acks as { incident_id: string }[]) {
      const stored = (await request(t.baseUrl).get(`/v1/incidents/${ack.incident_id}/alerts`).expect(200))
        .body;
      expect(stored.alerts).toHaveLength(1);
    }
  });

  it('resolves the incident once every Alertmanager alert attached to it has resolved', async () => {
    // Two firing episodes of one label set (it fired, Alertmanager lost it, it fired again): one incident.
    const a = amAlert('firing', labels({ instance: 'a' }));
    const b = { ...a, startsAt: '2026-11-25T10:05:00Z' };
    const fired = (
      await request(t.baseUrl)
        .post(PATH)
        .send(amWebhook([a]))
        .expect(200)
    ).body;
    const incidentId = fired.acks[0].incident_id;
    const again = (
      await request(t.baseUrl)
        .post(PATH)
        .send(amWebhook([b]))
        .expect(200)
    ).body;
    expect(again.acks[0]).toMatchObject({ status: 'Duplicate', incident_id: incidentId });

    events.clear();
    const resolved = (
      await request(t.baseUrl)
        .post(PATH)
        .send(amWebhook([{ ...b, status: 'resolved' }], 'resolved'))
        .expect(200)
    ).body;
    expect(resolved.acks.map((x: { status: string }) => x.status)).toEqual(['Resolved']);
    const incident = (await request(t.baseUrl).get(`/v1/incidents/${incidentId}`).expect(200)).body;
    expect(incident.state).toBe('Resolved');
    expect(incident.resolution).toMatchObject({
      resolved_by: 'alertmanager',
      resolution_method: 'Automated',
    });
    expect(events.types).toEqual(['incident_resolved']);

    events.clear();
    const redelivered = (
      await request(t.baseUrl)
        .post(PATH)
        .send(amWebhook([{ ...a, status: 'resolved' }], 'resolved'))
        .expect(200)
    ).body;
    expect(redelivered.acks[0]).toMatchObject({ status: 'Resolved', incident_id: incidentId });
    expect(events.types).toEqual([]);
  });

  it('acknowledges a resolved alert it never saw firing without inventing an incident', async () => {
    const res = await request(t.baseUrl)
      .post(PATH)
      .send(amWebhook([amAlert('resolved', labels({ instance: 'ghost' }))], 'resolved'))
      .expect(200);
    expect(res.body.acks[0]).toMatchObject({ status: 'Resolved', alert_id: null, incident_id: null });
  });

  it('rejects a webhook that is not version 4 or has malformed alerts', async () => {
    await request(t.baseUrl)
      .post(PATH)
      .send({ ...amWebhook([]), version: '3' })
      .expect(400);
    await request(t.baseUrl)
      .post(PATH)
      .send(amWebhook([{ status: 'burning', labels: {} }]))
      .expect(400);
    await request(t.baseUrl).post(PATH).send({ version: '4' }).expect(400);
  });
});
