import { SignJWT } from 'jose';
import { withoutNodeLabel } from './support/metrics-text';
import request from 'supertest';
import { alertBody, amAlert, amWebhook } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { TestApp, startTestApp } from './support/test-app';

const JWT_SECRET = 'a-test-secret-of-at-least-32-bytes-long!';
const AM_PATH = '/v1/integrations/alertmanager';

describe('ingestion rate limit per credential (INGEST_RATE_LIMIT_PER_KEY=5: bursts of 10 alerts)', () => {
  let t: TestApp;
  const clock = new ManualClock(Date.now());

  async function jwt(sub: string, scope = 'alerts:write'): Promise<string> {
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({ sub, scope })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(JWT_SECRET));
  }

  function postAlert(token: string): request.Test {
    return request(t.baseUrl).post('/v1/alerts').set('authorization', `Bearer ${token}`).send(alertBody());
  }

  function postWebhook(token: string, alerts: number): request.Test {
    const body = amWebhook(
      Array.from({ length: alerts }, (_, i) => amAlert('firing', { alertname: 'Burst', instance: `i${i}` })),
    );
    return request(t.baseUrl).post(AM_PATH).set('authorization', `Bearer ${token}`).send(body);
  }

  async function refusals(): Promise<string> {
    const res = await request(t.baseUrl)
      .get('/metrics')
      .set('authorization', `Bearer ${await jwt('scraper', 'admin')}`)
      .expect(200);
    return withoutNodeLabel(res.text);
  }

  beforeAll(async () => {
    t = await startTestApp(
      { AUTH_MODE: 'required', AUTH_JWT_SECRET: JWT_SECRET, INGEST_RATE_LIMIT_PER_KEY: '5' },
      undefined,
      { clock },
    );
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('refuses a credential past its burst with 429, Retry-After and the error body, while another still gets 200', async () => {
    const noisy = await jwt('noisy-source');
    const quiet = await jwt('quiet-source');
    for (let i = 0; i < 10; i += 1) await postAlert(noisy).expect(200);

    const refused = await postAlert(noisy).expect(429);
    expect(refused.body).toEqual({
      error: { code: 'RATE_LIMIT_EXCEEDED', message: expect.any(String), status: 429 },
    });
    expect(refused.headers['retry-after']).toMatch(/^[1-9]\d*$/);

    await postAlert(quiet).expect(200);
    expect(await refusals()).toMatch(/llm_incident_manager_ingest_rate_limited_total\{reason="rate"\} [1-9]/);

    // A second at 5 alerts per second refills five.
    await clock.advance(1000);
    for (let i = 0; i < 5; i += 1) await postAlert(noisy).expect(200);
    await postAlert(noisy).expect(429);
  });

  it('charges an Alertmanager webhook one per alert, and refuses one larger than the burst whole', async () => {
    const am = await jwt('alertmanager');
    const res = await postWebhook(am, 8).expect(200);
    expect((res.body as { acks: unknown[] }).acks).toHaveLength(8);
    // 8 of 10 spent: 3 more do not fit, 2 do.
    const refused = await postWebhook(am, 3).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await postWebhook(am, 2).expect(200);

    await clock.advance(10_000);
    const tooBig = await postWebhook(am, 11).expect(429);
    expect(tooBig.body).toEqual({
      error: { code: 'RATE_LIMIT_EXCEEDED', message: expect.stringMatching(/11 alerts/), status: 429 },
    });
    expect(tooBig.headers['retry-after']).toBe('2');
    expect(await refusals()).toMatch(
      /llm_incident_manager_ingest_rate_limited_total\{reason="batch_over_burst"\} 1/,
    );
    // Nothing of the refused webhook was charged: the full burst is still there.
    await postWebhook(am, 10).expect(200);
  });

  it('answers 401 without a credential before any charge, and leaves reads unlimited', async () => {
    await request(t.baseUrl).post('/v1/alerts').send(alertBody()).expect(401);
    const noisy = await jwt('reader', 'admin');
    for (let i = 0; i < 10; i += 1) await postAlert(noisy).expect(200);
    await postAlert(noisy).expect(429);
    await request(t.baseUrl).get('/v1/incidents').set('authorization', `Bearer ${noisy}`).expect(200);
  });
});
