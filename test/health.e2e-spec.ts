import request from 'supertest';
import { startTestApp, TestApp } from './support/test-app';

describe('health, metrics and the error body', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('reports live and ready with the database up', async () => {
    await request(t.baseUrl).get('/health/live').expect(200);
    const ready = await request(t.baseUrl).get('/health/ready').expect(200);
    expect(ready.body.details.database.status).toBe('up');
    const all = await request(t.baseUrl).get('/health').expect(200);
    expect(all.body.status).toBe('ok');
  });

  it('serves Prometheus text at /metrics including HTTP request counts', async () => {
    await request(t.baseUrl).get('/health/live').expect(200);
    const res = await request(t.baseUrl).get('/metrics').expect(200);
    expect(res.text).toContain('llm_incident_manager_http_requests_total{method="GET",route="/health/live"');
  });

  it('answers an unknown route with the contract error body', async () => {
    const res = await request(t.baseUrl).get('/no-such-route').expect(404);
    expect(res.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String), status: 404 } });
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(t.baseUrl).get('/docs/json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
  });
});
