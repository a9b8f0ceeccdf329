import request from 'supertest';
import { EventCapture } from './support/event-capture';
import { grafanaAlert, grafanaWebhook } from './support/grafana-fixtures';
import { describeOnEachStore } from './support/stores';
import { TestApp, startTestApp } from './support/test-app';

const PATH = '/v1/integrations/grafana';

interface Ack {
  alert_id: string | null;
  incident_id: string | null;
  status: string;
}

describeOnEachStore('POST /v1/integrations/grafana (Grafana Alerting webhook contact point)', (store) => {
  let t: TestApp;
  let events: EventCapture;
  let run = 0;

  beforeAll(async () => {
    t = await startTestApp(store.overrides());
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
    alertname: `High memory usage ${run}`,
    team: 'blue',
    zone: 'us-1',
    severity: 'warning',
    service: 'checkout',
    ...extra,
  });
  const post = async (body: Record<string, unknown>): Promise<Ack[]> =>
    (await request(t.baseUrl).post(PATH).send(body).expect(200)).body.acks as Ack[];

  it('maps a firing alert with the Alertmanager mapping and acks it', async () => {
    const alert = grafanaAlert('firing', labels(), { fingerprint: `fp${run}` });
    const [ack] = await post(grafanaWebhook([alert]));
    expect(ack).toMatchObject({
      status: 'Accepted',
      alert_id: expect.any(String),
      incident_id: expect.any(String),
    });
    const stored = (await request(t.baseUrl).get(`/v1/alerts/${ack.alert_id}`).expect(200)).body;
    expect(stored).toMatchObject({
      external_id: `fp${run}`,
      source: 'grafana',
      severity: 'P2',
      alert_type: 'Unknown',
      title: 'This alert was triggered for zone us-1',
      description: 'The system has high memory usage',
      runbook_url: 'https://myrunbook.example.com/runbook/1234',
      affected_services: ['checkout'],
      labels: { ...labels(), grafana_folder: 'Infrastructure' },
      timestamp: '2026-10-12T07:51:03.157Z',
    });
    expect(events.types).toEqual(['alert_received', 'alert_converted', 'incident_created']);
  });

  it('takes the source from a source label, the type from a type label', async () => {
    const alert = grafanaAlert(
      'firing',
      labels({ source: 'grafana-eu', type: 'Performance', severity: 'critical' }),
    );
    const [ack] = await post(grafanaWebhook([{ ...alert, fingerprint: `src${run}` }]));
    const stored = (await request(t.baseUrl).get(`/v1/alerts/${ack.alert_id}`).expect(200)).body;
    expect(stored).toMatchObject({ source: 'grafana-eu', alert_type: 'Performance', severity: 'P0' });
  });

  it('opens one incident per label set (fingerprint), is idempotent for re-deliveries, and resolves each', async () => {
    const a = grafanaAlert('firing', labels({ zone: 'us-1' }), { fingerprint: `a${run}` });
    const b = grafanaAlert('firing', labels({ zone: 'eu-1' }), { fingerprint: `b${run}` });
    const fired = await post(grafanaWebhook([a, b]));
    expect(fired.map((x) => x.status)).toEqual(['Accepted', 'Accepted']);
    expect(fired[0].incident_id).not.toBe(fired[1].incident_id);

    events.clear();
    const again = await post(grafanaWebhook([a, b]));
    expect(again.map((x) => x.status)).toEqual(['Duplicate', 'Duplicate']);
    expect(again.map((x) => x.alert_id)).toEqual(fired.map((x) => x.alert_id));
    expect(events.types).toEqual([]);

    const resolved = await post(grafanaWebhook([{ ...a, status: 'resolved' }], 'resolved'));
    expect(resolved[0]).toMatchObject({ status: 'Resolved', incident_id: fired[0].incident_id });
    expect(events.types).toEqual(['incident_resolved']);
    const incident = (await request(t.baseUrl).get(`/v1/incidents/${fired[0].incident_id}`).expect(200)).body;
    expect(incident).toMatchObject({ state: 'Resolved', resolution: { resolution_method: 'Automated' } });
    const other = (await request(t.baseUrl).get(`/v1/incidents/${fired[1].incident_id}`).expect(200)).body;
    expect(other.state).toBe('Detected');
  });

  it('keeps Grafana and Alertmanager alerts with the same fingerprint apart', async () => {
    const fingerprint = `shared${run}`;
    const [grafana] = await post(grafanaWebhook([grafanaAlert('firing', labels(), { fingerprint })]));
    const alertmanager = (
      await request(t.baseUrl)
        .post('/v1/integrations/alertmanager')
        .send({
          version: '4',
          status: 'firing',
          alerts: [
            { status: 'firing', labels: labels(), fingerprint, startsAt: '2026-10-12T09:51:03.157076+02:00' },
          ],
        })
        .expect(200)
    ).body.acks[0] as Ack;
    expect(alertmanager.status).toBe('Accepted');
    expect(alertmanager.incident_id).not.toBe(grafana.incident_id);
    // Resolving on one side leaves the other firing.
    await post(grafanaWebhook([grafanaAlert('resolved', labels(), { fingerprint })], 'resolved'));
    const amIncident = (await request(t.baseUrl).get(`/v1/incidents/${alertmanager.incident_id}`)).body;
    expect(amIncident.state).toBe('Detected');
  });

  it.each([
    ['alerts missing', { version: '1' }, 'alerts is required'],
    ['alerts null', { alerts: null }, 'alerts must be an array'],
    ['a null alert', { alerts: [null] }, 'alerts.0'],
    [
      'an unknown alert status',
      { alerts: [grafanaAlert('firing', {}, { status: 'alerting' })] },
      'alerts.0.status',
    ],
    ['labels null', { alerts: [grafanaAlert('firing', {}, { labels: null })] }, 'alerts.0.labels'],
    [
      'a label that is a number',
      { alerts: [grafanaAlert('firing', {}, { labels: { a: 1 } })] },
      'alerts.0.labels',
    ],
    [
      'values with a string',
      { alerts: [grafanaAlert('firing', {}, { values: { B: 'high' } })] },
      'alerts.0.values',
    ],
    ['values an array', { alerts: [grafanaAlert('firing', {}, { values: [1] })] }, 'alerts.0.values'],
    [
      'valueString a number',
      { alerts: [grafanaAlert('firing', {}, { valueString: 4 })] },
      'alerts.0.valueString',
    ],
    [
      'a null silenceURL',
      { alerts: [grafanaAlert('firing', {}, { silenceURL: null })] },
      'alerts.0.silenceURL',
    ],
    [
      'an over-long panelURL',
      { alerts: [grafanaAlert('firing', {}, { panelURL: 'x'.repeat(16_385) })] },
      'panelURL',
    ],
    [
      'a bad startsAt',
      { alerts: [grafanaAlert('firing', {}, { startsAt: 'yesterday' })] },
      'alerts.0.startsAt',
    ],
    ['orgId a string', { ...grafanaWebhook([]), orgId: '1' }, 'orgId'],
    ['a negative orgId', { ...grafanaWebhook([]), orgId: -1 }, 'orgId'],
    ['state null', { ...grafanaWebhook([]), state: null }, 'state'],
    ['message an object', { ...grafanaWebhook([]), message: {} }, 'message'],
    ['more than 1000 alerts', { alerts: Array.from({ length: 1001 }, () => ({})) }, 'no more than 1000'],
  ])('answers 400 VALIDATION_ERROR for %s', async (_what, body, message) => {
    const res = await request(t.baseUrl).post(PATH).send(body).expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expect(res.body.error.message).toContain(message);
  });

  it('accepts an empty group and Grafana’s test notification shape', async () => {
    expect(await post(grafanaWebhook([]))).toEqual([]);
    const test = grafanaAlert(
      'firing',
      { alertname: 'TestAlert', instance: 'Grafana' },
      {
        annotations: { summary: 'Notification test' },
        fingerprint: `test${run}`,
        values: {},
        dashboardURL: '',
        panelURL: '',
      },
    );
    expect((await post(grafanaWebhook([test])))[0].status).toBe('Accepted');
  });
});
