import request from 'supertest';
import { alertBody, amAlert, amWebhook } from './support/fixtures';
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
  describe('fingerprint', () => {
    it('tells apart services that concatenate to the same text', async () => {
      const body = alertBody();
      const split = await send({ ...body, affected_services: ['db-a', 'db-b'] });
      const joined = await send({ ...body, affected_services: ['db-adb-b'] });
      expect([split.status, joined.status]).toEqual(['Accepted', 'Accepted']);
      expect(joined.incident_id).not.toBe(split.incident_id);
    });

    it('tells apart a title followed by a service from a title that ends in that service', async () => {
      const title = `CPU hot ${Date.now()}`;
      const withService = await send(alertBody({ title, affected_services: ['node-1'] }));
      const inTitle = await send(alertBody({ title: `${title}node-1`, affected_services: [] }));
      expect([withService.status, inTitle.status]).toEqual(['Accepted', 'Accepted']);
      expect(inTitle.incident_id).not.toBe(withService.incident_id);
    });

    it('does not depend on the order of the affected services', async () => {
      const body = alertBody();
      const first = await send({ ...body, affected_services: ['web', 'db', 'cache'] });
      const reordered = await send({ ...body, affected_services: ['cache', 'web', 'db'] });
      expect(reordered).toMatchObject({ status: 'Duplicate', incident_id: first.incident_id });
    });
  });

  describe('sliding window (300 s)', () => {
    it('keeps one incident for an alert re-sent for much longer than the window', async () => {
      const body = alertBody();
      const first = await send(body);
      // 10 re-sends 200 s apart: 2000 s after the first, each within 300 s of the one before.
      for (let i = 0; i < 10; i++) {
        await clock.advance(200_000);
        expect(await send(body)).toMatchObject({ status: 'Duplicate', incident_id: first.incident_id });
      }
      const incident = (await request(t.baseUrl).get(`/v1/incidents/${first.incident_id}`).expect(200)).body;
      expect(incident.state).toBe('Detected');
      expect(incident.timeline).toHaveLength(11);
    });

    it('counts from the last alert: exactly the window after it still joins, a moment later opens a new incident', async () => {
      const body = alertBody();
      const first = await send(body);
      await clock.advance(250_000);
      await send(body);
      await clock.advance(300_000);
      expect(await send(body)).toMatchObject({ status: 'Duplicate', incident_id: first.incident_id });
      await clock.advance(300_001);
      const late = await send(body);
      expect(late.status).toBe('Accepted');
      expect(late.incident_id).not.toBe(first.incident_id);
    });

    it('is not moved by changes other than alerts (a comment, a state change)', async () => {
      const body = alertBody();
      const first = await send(body);
      await clock.advance(200_000);
      await request(t.baseUrl)
        .post(`/v1/incidents/${first.incident_id}/comments`)
        .send({ author: 'alice', comment: 'looking' })
        .expect(201);
      await request(t.baseUrl)
        .patch(`/v1/incidents/${first.incident_id}`)
        .send({ state: 'Investigating' })
        .expect(200);
      await clock.advance(150_000);
      const later = await send(body);
      expect(later.status).toBe('Accepted');
      expect(later.incident_id).not.toBe(first.incident_id);
    });

    it('applies to dedup_key alike', async () => {
      const key = `slide-${Date.now()}`;
      const first = await send(alertBody({ dedup_key: key }));
      for (let i = 0; i < 3; i++) {
        await clock.advance(299_000);
        expect(await send(alertBody({ dedup_key: key }))).toMatchObject({ incident_id: first.incident_id });
      }
    });
  });

  describe('Alertmanager alerts, by their fingerprint (the label set)', () => {
    const hook = (alerts: Record<string, unknown>[], status = 'firing') =>
      request(t.baseUrl).post('/v1/integrations/alertmanager').send(amWebhook(alerts, status)).expect(200);

    it('opens one incident per label set even with the same summary, and resolves each on its own', async () => {
      const run = Date.now();
      const annotations = { summary: 'Disk almost full' };
      const a = amAlert(
        'firing',
        { alertname: 'DiskFull', instance: 'db-1' },
        { annotations, fingerprint: `a${run}` },
      );
      const b = amAlert(
        'firing',
        { alertname: 'DiskFull', instance: 'db-2' },
        { annotations, fingerprint: `b${run}` },
      );
      const fired = (await hook([a, b])).body.acks as Ack[];
      expect(fired.map((x) => x.status)).toEqual(['Accepted', 'Accepted']);
      expect(fired[1].incident_id).not.toBe(fired[0].incident_id);

      const resolved = (await hook([{ ...a, status: 'resolved' }], 'resolved')).body.acks as Ack[];
      expect(resolved[0]).toMatchObject({ status: 'Resolved', incident_id: fired[0].incident_id });
      const states = await Promise.all(
        fired.map(async (x) => (await request(t.baseUrl).get(`/v1/incidents/${x.incident_id}`)).body.state),
      );
      expect(states).toEqual(['Resolved', 'Detected']);
    });

    it('joins a new firing episode of the same label set to its active incident, not to a native alert like it', async () => {
      const run = Date.now();
      const labels = { alertname: `Episode${run}`, service: 'api' };
      const first = (await hook([amAlert('firing', labels)])).body.acks[0] as Ack;
      const next = (await hook([amAlert('firing', labels, { startsAt: '2026-11-25T11:00:00Z' })])).body
        .acks[0] as Ack;
      expect(next).toMatchObject({ status: 'Duplicate', incident_id: first.incident_id });
      // A native alert with the fields the mapping gave it is keyed by those fields: another incident.
      const native = await send(
        alertBody({
          source: 'alertmanager',
          title: `Episode${run} summary`,
          alert_type: 'Unknown',
          affected_services: ['api'],
        }),
      );
      expect(native.status).toBe('Accepted');
      expect(native.incident_id).not.toBe(first.incident_id);
    });
  });
});
