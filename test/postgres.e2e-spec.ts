import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { eventually } from './support/eventually';
import { alertBody, amAlert, amWebhook, createIncident } from './support/fixtures';
import { describeIfPostgres, postgresDatabaseUrl, TEST_DATABASE_URL } from './support/postgres';
import { startTestApp } from './support/test-app';

describeIfPostgres('PostgreSQL store (DATABASE_URL=postgres://...)', () => {
  const database = `llm_im_test_${randomBytes(6).toString('hex')}`;
  const url = postgresDatabaseUrl(database);

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
  });

  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('runs the same queries: ingestion, dedup, lifecycle, filters, Alertmanager, restart, event log', async () => {
    const first = await startTestApp({ DATABASE_URL: url });
    const alert = alertBody({ severity: 'P0' });
    let incidentId: string;
    try {
      await request(first.baseUrl).get('/health/ready').expect(200);
      const accepted = (await request(first.baseUrl).post('/v1/alerts').send(alert).expect(200)).body;
      expect(accepted.status).toBe('Accepted');
      incidentId = accepted.incident_id;
      const dup = (await request(first.baseUrl).post('/v1/alerts').send(alert).expect(200)).body;
      expect(dup).toMatchObject({ status: 'Duplicate', incident_id: incidentId });

      const manual = await createIncident(first.baseUrl);
      await request(first.baseUrl)
        .patch(`/v1/incidents/${manual.id}`)
        .send({ state: 'Investigating' })
        .expect(200);
      await request(first.baseUrl)
        .post(`/v1/incidents/${manual.id}/comments`)
        .send({ author: 'pg', comment: 'hello' })
        .expect(201);

      const fired = (
        await request(first.baseUrl)
          .post('/v1/integrations/alertmanager')
          .send(amWebhook([amAlert('firing', { alertname: 'PgAlert', severity: 'warning' })]))
          .expect(200)
      ).body;
      await request(first.baseUrl)
        .post('/v1/integrations/alertmanager')
        .send(amWebhook([amAlert('resolved', { alertname: 'PgAlert', severity: 'warning' })], 'resolved'))
        .expect(200);
      const resolved = (await request(first.baseUrl).get(`/v1/incidents/${fired.acks[0].incident_id}`)).body;
      expect(resolved.state).toBe('Resolved');

      const active = (await request(first.baseUrl).get('/v1/incidents?active_only=true&severity=P0,P2')).body;
      expect(active.total).toBe(2);
    } finally {
      await first.cleanup();
    }

    const second = await startTestApp({ DATABASE_URL: url });
    try {
      const all = (await request(second.baseUrl).get('/v1/incidents').expect(200)).body;
      expect(all.total).toBe(3);
      const again = (await request(second.baseUrl).post('/v1/alerts').send(alert).expect(200)).body;
      expect(again).toMatchObject({ status: 'Duplicate', incident_id: incidentId });
      const log = (await request(second.baseUrl).get('/v1/events?limit=1000')).body.events;
      const sequences = log.map((e: { sequence: number }) => e.sequence);
      expect(sequences.every((s: unknown) => typeof s === 'number')).toBe(true);
      expect(sequences).toEqual([...sequences].sort((a: number, b: number) => a - b));
    } finally {
      await second.cleanup();
    }
  });

  it('keeps serving when PostgreSQL drops its idle connections (a restart, a failover, an administrator)', async () => {
    const t = await startTestApp({ DATABASE_URL: url });
    try {
      await request(t.baseUrl).post('/v1/alerts').send(alertBody()).expect(200);
      // Every connection of this database but the administrator's own is terminated.
      await admin(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${database}' AND pid <> pg_backend_pid()`,
      );
      // Without a listener on the pool, the terminated idle connection's error would have crashed the process.
      // A query that races the pool's notice of the drop can still fail once (left as is: see the closing note);
      // the process lives on and serves again.
      await eventually(
        async () => (await request(t.baseUrl).get('/health/ready')).status === 200,
        5000,
        'the store to answer again',
      );
      await request(t.baseUrl).post('/v1/alerts').send(alertBody()).expect(200);
    } finally {
      await t.cleanup();
    }
  });
});

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
