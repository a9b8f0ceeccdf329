import request from 'supertest';
import { alertBody } from './support/fixtures';
import { startTestApp, TestApp } from './support/test-app';

describe('HTTP flood protection', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ HTTP_RATE_LIMIT_PER_SECOND: '20' });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('answers 429 RATE_LIMIT_EXCEEDED with Retry-After beyond the burst, loses no accepted alert, then recovers', async () => {
    const results = [];
    for (let i = 0; i < 60; i += 1) {
      const res = await request(t.baseUrl).post('/v1/alerts').send(alertBody());
      results.push(res);
    }
    const accepted = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    expect(accepted.length + limited.length).toBe(60);
    expect(accepted.length).toBeGreaterThanOrEqual(40);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].body).toEqual({
      error: { code: 'RATE_LIMIT_EXCEEDED', message: expect.any(String), status: 429 },
    });
    expect(Number(limited[0].headers['retry-after'])).toBeGreaterThanOrEqual(1);

    // Health is never limited, and every accepted alert was stored.
    await request(t.baseUrl).get('/health/ready').expect(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const list = await request(t.baseUrl).get('/v1/incidents?page_size=100').expect(200);
    expect(list.body.total).toBe(accepted.length);
  });
});

describe('HTTP flood protection on PagerDuty’s /v2/enqueue', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ HTTP_RATE_LIMIT_PER_SECOND: '5' });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('limits it like /v1, answering in PagerDuty’s shape', async () => {
    const statuses: number[] = [];
    let limited: request.Response | undefined;
    for (let i = 0; i < 30 && limited === undefined; i += 1) {
      const res = await request(t.baseUrl)
        .post('/v2/enqueue')
        .send({
          routing_key: 'any',
          event_action: 'trigger',
          payload: { summary: `disk full ${i}`, source: 'db-1', severity: 'error' },
        });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(5);
    expect(limited?.body).toMatchObject({ status: expect.any(String), message: expect.any(String) });
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
