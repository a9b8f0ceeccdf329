import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { eventually } from './support/eventually';
import { createIncident } from './support/fixtures';
import { HttpReceiver } from './support/http-receiver';
import { ManualClock } from './support/manual-clock';
import { describeIfPostgres, postgresDatabaseUrl, TEST_DATABASE_URL } from './support/postgres';
import { startTestApp } from './support/test-app';

describeIfPostgres('escalation, playbooks, notifications and system events on PostgreSQL', () => {
  const database = `llm_im_test_${randomBytes(6).toString('hex')}`;
  const url = postgresDatabaseUrl(database);
  let receiver: HttpReceiver;

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    receiver = await HttpReceiver.start();
  });

  afterAll(async () => {
    await receiver.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('runs the same queries, and an escalation armed before a restart fires after it', async () => {
    const clock = new ManualClock();
    const first = await startTestApp({ DATABASE_URL: url }, undefined, { clock });
    let incidentId: string;
    try {
      await request(first.baseUrl)
        .post('/v1/notification-channels')
        .send({ name: 'pg-hook', type: 'webhook', url: receiver.url(), events: ['incident_created'] })
        .expect(201);
      await request(first.baseUrl)
        .post('/v1/playbooks')
        .send({ name: 'pg-playbook', steps: [{ action: { type: 'add_labels', labels: { pg: 'yes' } } }] })
        .expect(201);
      await request(first.baseUrl)
        .post('/v1/escalation-policies')
        .send({ name: 'pg-policy', levels: [{ level: 1, delay_minutes: 0.02, raise_to_severity: 'P0' }] })
        .expect(201);
      await request(first.baseUrl)
        .post('/v1/system/events')
        .send({ category: 'maintenance', message: 'pg' })
        .expect(201);

      const incident = await createIncident(first.baseUrl);
      incidentId = incident.id;
      await receiver.waitFor(1);
      const runs = await eventually(
        async () => {
          const list = (await request(first.baseUrl).get(`/v1/incidents/${incidentId}/playbook-runs`)).body
            .runs as { status: string }[];
          return list[0]?.status === 'succeeded' && list;
        },
        5000,
        'the playbook run',
      );
      expect(runs).toHaveLength(1);
      await eventually(
        async () =>
          (await request(first.baseUrl).get(`/v1/incidents/${incidentId}/escalation`)).body.status ===
          'active',
        3000,
        'an armed escalation',
      );
    } finally {
      await first.close();
    }

    // Back after the 1.2 s level was due: it fires at start, without waiting.
    const later = new ManualClock(clock.now() + 1200);
    const second = await startTestApp(
      { DATABASE_URL: url },
      { dbPath: first.dbPath, dir: first.dir },
      { clock: later },
    );
    try {
      await eventually(
        async () =>
          (await request(second.baseUrl).get(`/v1/incidents/${incidentId}/escalation`)).body.status ===
          'completed',
        5000,
        'the escalation after restart',
      );
      const stored = (await request(second.baseUrl).get(`/v1/incidents/${incidentId}`).expect(200)).body;
      expect(stored.severity).toBe('P0');
      expect(stored.labels.pg).toBe('yes');
      const types = (
        (await request(second.baseUrl).get(`/v1/incidents/${incidentId}/events`).expect(200)).body.events as {
          event_type: string;
        }[]
      ).map((e) => e.event_type);
      expect(types).toEqual(
        expect.arrayContaining([
          'notification_sent',
          'playbook_started',
          'playbook_action_executed',
          'playbook_completed',
          'escalated',
        ]),
      );
      const channels = (await request(second.baseUrl).get('/v1/notification-channels').expect(200)).body
        .channels;
      expect(channels).toHaveLength(1);
    } finally {
      await second.cleanup();
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
