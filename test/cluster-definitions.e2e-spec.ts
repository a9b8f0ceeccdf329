import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { ApiKeysService } from '../src/auth/api-keys.service';
import { AuthenticationFailedError } from '../src/auth/principal';
import {
  DefinitionInvalidationService,
  LISTENER_APPLICATION_NAME,
  RECONNECT_MIN_MS,
} from '../src/cluster/definition-invalidation.service';
import { EscalationPoliciesService } from '../src/escalation/escalation-policies.service';
import { NotificationChannelsService } from '../src/notifications/notification-channels.service';
import { PlaybooksService } from '../src/playbooks/playbooks.service';
import { SilencesService } from '../src/silences/silences.service';
import { eventually } from './support/eventually';
import { ManualClock } from './support/manual-clock';
import { alertBody, createIncident, makeIncident } from './support/fixtures';
import { describeIfPostgres, postgresDatabaseUrl, TEST_DATABASE_URL } from './support/postgres';
import { startTestApp, TestApp } from './support/test-app';
import { WsTestClient } from './support/ws-test-client';

const HOUR_MS = 3_600_000;

/**
 * Contract section 11: definitions changed on one node are used by every node at once (LISTEN/NOTIFY on
 * PostgreSQL), with two nodes (two app instances) on one PostgreSQL database.
 */
describeIfPostgres(
  'definitions changed on one node, used by every node (two nodes on one PostgreSQL database)',
  () => {
    let database = '';
    let keyDir = '';
    const apps: TestApp[] = [];
    const clients: WsTestClient[] = [];

    const node = async (overrides: Record<string, string> = {}, clock?: ManualClock): Promise<TestApp> => {
      const app = await startTestApp(
        { DATABASE_URL: postgresDatabaseUrl(database), ...overrides },
        undefined,
        clock ? { clock } : {},
      );
      apps.push(app);
      return app;
    };

    beforeEach(async () => {
      database = `llm_im_test_${randomBytes(6).toString('hex')}`;
      await admin(`CREATE DATABASE ${database}`);
      keyDir = mkdtempSync(join(tmpdir(), 'llm-im-keys-'));
    });

    afterEach(async () => {
      for (const client of clients.splice(0)) await client.close();
      for (const app of apps.splice(0)) await app.cleanup();
      await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      rmSync(keyDir, { recursive: true, force: true });
    });

    it('a silence created on one node suppresses an alert posted to the other; expired there, it no longer does', async () => {
      const a = await node();
      const b = await node();
      const silenced = { source: 'cluster-test', labels: { env: 'maintenance' }, severity: 'P3' as const };
      const silence = (
        await request(a.baseUrl)
          .post('/v1/silences')
          .send({
            matchers: [{ name: 'env', op: '=', value: 'maintenance' }],
            starts_at: new Date(Date.now() - 60_000).toISOString(),
            ends_at: new Date(Date.now() + HOUR_MS).toISOString(),
            created_by: 'alice',
            comment: 'maintenance window',
          })
          .expect(201)
      ).body as { id: string };
      const silencesB = b.app.get(SilencesService);
      const fields = { ...silenced, alert_type: 'Application' as const };
      await eventually(
        () => silencesB.silencing(fields) === silence.id,
        5000,
        'node B to hear of the silence',
      );

      const ack = (await request(b.baseUrl).post('/v1/alerts').send(alertBody(silenced)).expect(200)).body;
      expect(ack).toMatchObject({ status: 'Suppressed', incident_id: null });

      await request(a.baseUrl).delete(`/v1/silences/${silence.id}`).expect(200);
      await eventually(() => silencesB.silencing(fields) === null, 5000, 'node B to hear of the expiry');
      const next = (await request(b.baseUrl).post('/v1/alerts').send(alertBody(silenced)).expect(200)).body;
      expect(next.status).toBe('Accepted');
    });

    it('a policy, a playbook and a channel created on one node apply to an incident created on the other', async () => {
      const a = await node();
      const b = await node();
      await request(a.baseUrl)
        .post('/v1/escalation-policies')
        .send({ name: 'cluster-policy', levels: [{ level: 1, delay_minutes: 60 }] })
        .expect(201);
      await request(a.baseUrl)
        .post('/v1/playbooks')
        .send({
          name: 'cluster-playbook',
          steps: [{ action: { type: 'add_labels', labels: { seen: 'yes' } } }],
        })
        .expect(201);
      await request(a.baseUrl)
        .post('/v1/notification-channels')
        .send({
          name: 'cluster-channel',
          type: 'webhook',
          url: 'http://127.0.0.1:9/hook',
          events: ['incident_resolved'],
        })
        .expect(201);
      await eventually(
        () =>
          b.app.get(EscalationPoliciesService).anyEnabled &&
          b.app.get(PlaybooksService).triggeredBy(makeIncident()).length === 1 &&
          b.app.get(NotificationChannelsService).resolve(['cluster-channel']).channels.length === 1,
        5000,
        'node B to hear of the definitions',
      );

      const incident = await createIncident(b.baseUrl);
      await eventually(
        async () =>
          (await request(b.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).body.status === 'active',
        5000,
        'the policy attached on node B',
      );
      await eventually(
        async () =>
          (await request(b.baseUrl).get(`/v1/incidents/${incident.id}`)).body.labels?.seen === 'yes',
        5000,
        'the playbook run on node B',
      );
    });

    it('revoking an API key on one node closes a WebSocket authenticated with it on the other (4001)', async () => {
      const keyFile = join(keyDir, 'admin.key');
      const auth = { AUTH_MODE: 'required', ADMIN_KEY_FILE: keyFile };
      const a = await node(auth);
      const b = await node(auth);
      const adminKey = readFileSync(keyFile, 'utf8').trim();
      const streamer = (
        await request(a.baseUrl)
          .post('/v1/api-keys')
          .set('authorization', `Bearer ${adminKey}`)
          .send({ name: 'cluster-streamer', scopes: ['stream:read'] })
          .expect(201)
      ).body as { id: string; key: string };
      const keysB = b.app.get(ApiKeysService);
      await eventually(() => knows(keysB, streamer.key), 5000, 'node B to know the key');
      const client = await WsTestClient.connect(b.wsUrl, {
        headers: { authorization: `Bearer ${streamer.key}` },
      });
      clients.push(client);

      await request(a.baseUrl)
        .delete(`/v1/api-keys/${streamer.id}`)
        .set('authorization', `Bearer ${adminKey}`)
        .expect(204);
      expect(await client.next('closing')).toEqual({ type: 'closing', reason: 'unauthorized' });
      expect((await client.waitClosed()).code).toBe(4001);
      expect(knows(keysB, streamer.key)).toBe(false);
    });

    it('two nodes starting together on an empty database make one admin key, written by the node that made it', async () => {
      const files = [join(keyDir, 'a', 'admin.key'), join(keyDir, 'b', 'admin.key')];
      const [a, b] = await Promise.all(
        files.map((file) => node({ AUTH_MODE: 'required', ADMIN_KEY_FILE: file })),
      );
      const written = files.filter((file) => existsSync(file));
      expect(written).toHaveLength(1);
      const key = readFileSync(written[0], 'utf8').trim();
      for (const app of [a, b]) {
        const listed = (
          await request(app.baseUrl).get('/v1/api-keys').set('authorization', `Bearer ${key}`).expect(200)
        ).body as { api_keys: unknown[] };
        expect(listed.api_keys).toHaveLength(1);
      }
    });

    it('listens again after its connection is dropped, and hears the changes made after that', async () => {
      const a = await node();
      const clockB = new ManualClock(Date.now());
      const b = await node({}, clockB);
      const listener = b.app.get(DefinitionInvalidationService);
      expect(listener.listening).toBe(true);

      await admin(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database}' and application_name = '${LISTENER_APPLICATION_NAME}'`,
      );
      await eventually(() => !listener.listening, 5000, 'node B to notice its listener dropped');
      // The reconnection waits RECONNECT_MIN_MS of B's clock.
      await clockB.advance(RECONNECT_MIN_MS);
      await eventually(() => listener.listening, 5000, 'node B to listen again');

      await request(a.baseUrl)
        .post('/v1/escalation-policies')
        .send({ name: 'after-reconnect', levels: [{ level: 1, delay_minutes: 60 }] })
        .expect(201);
      await eventually(
        () => b.app.get(EscalationPoliciesService).anyEnabled,
        5000,
        'node B to hear of the policy',
      );
    });
  },
);

function knows(keys: ApiKeysService, key: string): boolean {
  try {
    keys.authenticate(key);
    return true;
  } catch (error) {
    if (error instanceof AuthenticationFailedError) return false;
    throw error;
  }
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
