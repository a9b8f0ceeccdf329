import { SignJWT } from 'jose';
import request from 'supertest';
import { DatabaseService } from '../src/storage/database.service';
import { EventCapture } from './support/event-capture';
import { alertBody } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { describeOnEachStore } from './support/stores';
import { TestApp, startTestApp } from './support/test-app';

const PATH = '/v1/alerts/batch';

interface Ack {
  alert_id: string;
  incident_id: string;
  status: string;
  message: string;
}

/** An alert as a real sender writes it: a few labels and annotations, a runbook, two services (~700 bytes). */
function richAlert(i: number): Record<string, unknown> {
  return alertBody({
    title: `Pod restarting repeatedly in namespace payments (replica ${i})`,
    description: 'The pod has restarted more than 5 times in the last 10 minutes; check its logs and events.',
    labels: { env: 'prod', team: 'payments', cluster: 'eu-west-1', namespace: 'payments', pod: `api-${i}` },
    annotations: {
      summary: 'Pod restarting',
      dashboard: 'https://grafana.example.com/d/k8s-pods/pods?var-namespace=payments',
    },
    runbook_url: 'https://runbooks.example.com/kubernetes/pod-crash-looping',
    affected_services: ['payments-api', 'payments-worker'],
    external_id: `batch-${i}`,
  });
}

describeOnEachStore('POST /v1/alerts/batch', (store) => {
  let t: TestApp;
  let events: EventCapture;

  beforeAll(async () => {
    t = await startTestApp(store.overrides());
    events = new EventCapture(t.app);
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  beforeEach(() => events.clear());

  const batch = async (alerts: unknown[]): Promise<Ack[]> =>
    (await request(t.baseUrl).post(PATH).send({ alerts }).expect(200)).body.acks as Ack[];

  it('answers one ack per alert in the batch order, each processed as by POST /v1/alerts', async () => {
    const a = alertBody();
    const b = alertBody();
    const keyed = alertBody({ dedup_key: `batch-key-${Date.now()}` });
    const acks = await batch([a, b, a, keyed, { ...keyed, title: 'other title, same key' }]);
    expect(acks.map((x) => x.status)).toEqual(['Accepted', 'Accepted', 'Duplicate', 'Accepted', 'Duplicate']);
    expect(acks[2].incident_id).toBe(acks[0].incident_id);
    expect(acks[4].incident_id).toBe(acks[3].incident_id);
    expect(new Set(acks.map((x) => x.alert_id)).size).toBe(5);
    expect(events.types).toEqual([
      ...['alert_received', 'alert_converted', 'incident_created'],
      ...['alert_received', 'alert_converted', 'incident_created'],
      ...['alert_received', 'incident_updated'],
      ...['alert_received', 'alert_converted', 'incident_created'],
      ...['alert_received', 'incident_updated'],
    ]);
    const sequences = events.envelopes.map((e) => e.sequence);
    expect(sequences).toEqual([...sequences].sort((x, y) => x - y));

    // Deduplicated against what was there before the batch, too.
    const single = (await request(t.baseUrl).post('/v1/alerts').send(b).expect(200)).body as Ack;
    expect(single).toMatchObject({ status: 'Duplicate', incident_id: acks[1].incident_id });
    const stored = (await request(t.baseUrl).get(`/v1/alerts/${acks[3].alert_id}`).expect(200)).body;
    expect(stored.dedup_key).toBe(keyed.dedup_key);
  });

  it('stores the whole batch in one transaction (one commit) before it answers', async () => {
    // More alerts than the publisher's group commit takes (64): one unit of work per alert would need two.
    const database = t.app.get(DatabaseService);
    const transaction = jest.spyOn(database.db, 'transaction');
    try {
      const acks = await batch(Array.from({ length: 100 }, () => alertBody()));
      expect(transaction).toHaveBeenCalledTimes(1);
      const stored = await database.db
        .selectFrom('alerts')
        .select('id')
        .where(
          'id',
          'in',
          acks.map((x) => x.alert_id),
        )
        .execute();
      expect(stored).toHaveLength(100);
    } finally {
      transaction.mockRestore();
    }
  });

  it('takes 1000 alerts as a sender writes them within the 1 MiB body limit', async () => {
    const alerts = Array.from({ length: 1000 }, (_, i) => richAlert(i));
    const bytes = Buffer.byteLength(JSON.stringify({ alerts }));
    expect(bytes).toBeLessThan(1_048_576);
    const acks = await batch(alerts);
    expect(acks).toHaveLength(1000);
    expect(acks.every((x) => x.status === 'Accepted')).toBe(true);
  });

  it('refuses a body over the limit with 413 and stores nothing', async () => {
    const alerts = Array.from({ length: 1000 }, (_, i) =>
      alertBody({ description: 'x'.repeat(1100), external_id: `too-big-${i}` }),
    );
    const res = await request(t.baseUrl).post(PATH).send({ alerts }).expect(413);
    expect(res.body.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(events.types).toEqual([]);
  });

  it('refuses the whole batch when one alert is invalid, naming its index, and stores none of it', async () => {
    const before = (await request(t.baseUrl).get('/v1/incidents?page_size=1').expect(200)).body.total;
    const res = await request(t.baseUrl)
      .post(PATH)
      .send({ alerts: [alertBody(), alertBody(), alertBody({ severity: 'P9' }), alertBody()] })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expect(res.body.error.message).toContain('alerts.2.severity');
    expect(events.types).toEqual([]);
    expect((await request(t.baseUrl).get('/v1/incidents?page_size=1').expect(200)).body.total).toBe(before);
  });

  it.each([
    ['no alerts', { alerts: [] }, 'alerts must contain at least 1 elements'],
    ['more than 1000 alerts', { alerts: Array.from({ length: 1001 }, () => ({})) }, 'no more than 1000'],
    ['alerts missing', {}, 'alerts is required'],
    ['alerts null', { alerts: null }, 'alerts must be an array'],
    ['alerts an object', { alerts: { 0: {} } }, 'alerts must be an array'],
    ['a null alert', { alerts: [{}, null] }, 'alerts.1 must be an object, got null'],
    ['an alert that is an array', { alerts: [[]] }, 'alerts.0 must be an object, got an array'],
    ['an alert that is a string', { alerts: ['x'] }, 'alerts.0 must be an object, got string'],
    ['a null field', { alerts: [{ ...alertBody(), labels: null }] }, 'alerts.0.labels'],
    ['an over-long dedup_key', { alerts: [alertBody({ dedup_key: 'k'.repeat(256) })] }, 'alerts.0.dedup_key'],
    [
      'a required field missing',
      { alerts: [{ ...alertBody(), source: undefined }] },
      'alerts.0.source is required',
    ],
  ])('answers 400 VALIDATION_ERROR for %s', async (_what, body, message) => {
    const res = await request(t.baseUrl).post(PATH).send(body).expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    expect(res.body.error.message).toContain(message);
  });
});

describe('POST /v1/alerts/batch under the ingestion rate limit (INGEST_RATE_LIMIT_PER_KEY=5)', () => {
  const secret = 'a-test-secret-of-at-least-32-bytes-long!';
  const clock = new ManualClock(Date.now());
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(
      { AUTH_MODE: 'required', AUTH_JWT_SECRET: secret, INGEST_RATE_LIMIT_PER_KEY: '5' },
      undefined,
      { clock },
    );
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const token = async (sub: string, scope = 'alerts:write'): Promise<string> => {
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({ sub, scope })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(secret));
  };

  const post = (bearer: string, count: number) =>
    request(t.baseUrl)
      .post(PATH)
      .set('authorization', `Bearer ${bearer}`)
      .send({ alerts: Array.from({ length: count }, () => alertBody()) });

  it('counts one per alert, admits a batch whole or not at all, and needs alerts:write', async () => {
    const sender = await token('batch-sender');
    await post(sender, 8).expect(200);
    const refused = await post(sender, 3).expect(429);
    expect(refused.body.error.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    await post(sender, 2).expect(200);
    // Over the burst (10): never admissible.
    await clock.advance(10_000);
    await post(sender, 11).expect(429);
    await post(await token('reader', 'incidents:read'), 1).expect(403);
    await request(t.baseUrl)
      .post(PATH)
      .send({ alerts: [alertBody()] })
      .expect(401);
  });
});
