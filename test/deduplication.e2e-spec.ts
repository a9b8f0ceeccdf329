import request from 'supertest';
import { alertBody } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { describeOnEachStore } from './support/stores';
import { startTestApp, TestApp } from './support/test-app';

interface Ack {
  alert_id: string;
  incident_id: string;
  status: string;
}

describeOnEachStore('deduplication (contract section 9)', (store) => {
  const clock = new ManualClock('2026-03-01T00:00:00.000Z');
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ...store.overrides(), DEDUP_WINDOW_SECS: '300' }, undefined, { clock });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const send = async (body: Record<string, unknown>): Promise<Ack> =>
    (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body as Ack;

  describe('dedup_key', () => {
    it('joins alerts with the same key into one incident whatever their content', async () => {
      const key = `deploy-${Date.now()}`;
      const first = await send(alertBody({ dedup_key: key }));
      const second = await send(
        alertBody({ dedup_key: key, source: 'other', alert_type: 'Security', affected_services: [] }),
      );
      expect(first.status).toBe('Accepted');
      expect(second).toMatchObject({ status: 'Duplicate', incident_id: first.incident_id });
    });

    it('keeps alerts with the same content but different keys, or without a key, apart', async () => {
      const body = alertBody();
      const keyed = await send({ ...body, dedup_key: 'a' });
      const otherKey = await send({ ...body, dedup_key: 'b' });
      const unkeyed = await send(body);
      expect([keyed.status, otherKey.status, unkeyed.status]).toEqual(['Accepted', 'Accepted', 'Accepted']);
      expect(new Set([keyed.incident_id, otherKey.incident_id, unkeyed.incident_id]).size).toBe(3);
    });

    it('stores the key with the alert; an alert sent without one has none', async () => {
      const keyed = await send(alertBody({ dedup_key: 'stored-key' }));
      const unkeyed = await send(alertBody());
      const alert = (await request(t.baseUrl).get(`/v1/alerts/${keyed.alert_id}`).expect(200)).body;
      expect(alert.dedup_key).toBe('stored-key');
      const other = (await request(t.baseUrl).get(`/v1/alerts/${unkeyed.alert_id}`).expect(200)).body;
      expect(other).not.toHaveProperty('dedup_key');
    });

    it.each([
      ['empty', ''],
      ['longer than 255 characters', 'k'.repeat(256)],
      ['null', null],
      ['a number', 42],
      ['an array', ['k']],
      ['an object', { k: 'v' }],
    ])('refuses a dedup_key that is %s with 400 VALIDATION_ERROR', async (_what, value) => {
      const res = await request(t.baseUrl)
        .post('/v1/alerts')
        .send(alertBody({ dedup_key: value }))
        .expect(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
      expect(res.body.error.message).toContain('dedup_key');
    });

    it('accepts a dedup_key of 255 characters', async () => {
      expect((await send(alertBody({ dedup_key: 'k'.repeat(255) }))).status).toBe('Accepted');
    });
  });
});
