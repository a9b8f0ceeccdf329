import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import type { Incident } from '../src/domain';
import { incidentBody } from './support/fixtures';
import { describeIfPostgres, postgresDatabaseUrl, TEST_DATABASE_URL } from './support/postgres';
import { TestApp, startTestApp } from './support/test-app';
import { WsTestClient, closeAll } from './support/ws-test-client';

const JWT_SECRET = 'label-matcher-constraints-secret-32+-chars';

interface StoredEntry {
  event_type: string;
  incident_id: string | null;
}

describe('an API key constrained with label_matchers and min_severity (SQLite)', () => {
  matcherConstraintSpecs(null);
});

// The listing reads candidates by SQL and matches the matchers in memory: the same cases on PostgreSQL.
describeIfPostgres('an API key constrained with label_matchers and min_severity (PostgreSQL)', () => {
  matcherConstraintSpecs(`llm_im_test_${randomBytes(6).toString('hex')}`);
});

function matcherConstraintSpecs(postgresDatabase: string | null): void {
  let t: TestApp;
  let dir: string;
  let admin: string;
  let key: string;
  const clients: WsTestClient[] = [];
  const constraint = {
    label_matchers: [
      { name: 'env', op: '=~', value: 'prod|prod-.+' },
      { name: 'team', op: '!=', value: 'web' },
    ],
    min_severity: 'P2',
  };
  /** Incidents by what they are: inside the constraint, or which part of it they fail. */
  const made: Record<string, Incident> = {};

  const as = (token: string) => ({
    get: (path: string) => request(t.baseUrl).get(path).set('authorization', `Bearer ${token}`),
    post: (path: string) => request(t.baseUrl).post(path).set('authorization', `Bearer ${token}`),
  });

  async function create(name: string, overrides: Record<string, unknown>): Promise<Incident> {
    const incident = (await as(admin).post('/v1/incidents').send(incidentBody(overrides)).expect(201))
      .body as Incident;
    made[name] = incident;
    return incident;
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-matcher-constraints-'));
    if (postgresDatabase !== null) await postgresAdmin(`CREATE DATABASE ${postgresDatabase}`);
    t = await startTestApp({
      AUTH_MODE: 'required',
      AUTH_JWT_SECRET: JWT_SECRET,
      ADMIN_KEY_FILE: join(dir, 'admin.key'),
      ...(postgresDatabase !== null ? { DATABASE_URL: postgresDatabaseUrl(postgresDatabase) } : {}),
    });
    const now = Math.floor(Date.now() / 1000);
    admin = await new SignJWT({ sub: 'operator', scope: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(JWT_SECRET));
    key = (
      (
        await as(admin)
          .post('/v1/api-keys')
          .send({ name: 'prod-wall', scopes: ['incidents:read', 'stream:read'], constraint })
          .expect(201)
      ).body as { key: string }
    ).key;
    await create('inside', { severity: 'P1', labels: { env: 'prod', team: 'db' } });
    await create('insideNoTeam', { severity: 'P2', labels: { env: 'prod-eu' } });
    await create('tooLow', { severity: 'P3', labels: { env: 'prod', team: 'db' } });
    await create('unanchored', { severity: 'P0', labels: { env: 'preprod' } });
    await create('webTeam', { severity: 'P0', labels: { env: 'prod', team: 'web' } });
    await create('noEnv', { severity: 'P0', labels: { team: 'db' } });
  });

  afterAll(async () => {
    await closeAll(clients);
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
    if (postgresDatabase !== null) {
      await postgresAdmin(`DROP DATABASE IF EXISTS ${postgresDatabase} WITH (FORCE)`);
    }
  });

  it('lists only the matching incidents, total included', async () => {
    const body = (await as(key).get('/v1/incidents?page_size=100').expect(200)).body as {
      incidents: Incident[];
      total: number;
    };
    expect(body.incidents.map((i) => i.id).sort()).toEqual([made.inside.id, made.insideNoTeam.id].sort());
    expect(body.total).toBe(2);
  });

  it('answers an incident outside 404, inside 200', async () => {
    await as(key).get(`/v1/incidents/${made.inside.id}`).expect(200);
    for (const name of ['tooLow', 'unanchored', 'webTeam', 'noEnv']) {
      await as(key).get(`/v1/incidents/${made[name].id}`).expect(404);
    }
  });

  it('shows only the events of the matching incidents in the event log', async () => {
    const events = (await as(key).get('/v1/events?limit=1000').expect(200)).body.events as StoredEntry[];
    const ids = new Set(events.map((e) => e.incident_id).filter((id) => id !== null));
    expect([...ids].sort()).toEqual([made.inside.id, made.insideNoTeam.id].sort());
  });

  it('streams only the matching incidents over the WebSocket, whatever the subscription asks', async () => {
    const client = await WsTestClient.connect(t.wsUrl, { headers: { authorization: `Bearer ${key}` } });
    clients.push(client);
    await client.subscribe('everything', {});
    await client.subscribe('p3-and-up', { min_severity: 'P4', event_types: ['incident_created'] });
    await create('liveInside', { severity: 'P0', labels: { env: 'prod-us', team: 'sre' } });
    await create('liveTooLow', { severity: 'P4', labels: { env: 'prod' } });
    await create('liveWeb', { severity: 'P1', labels: { env: 'prod', team: 'web' } });
    await create('liveLast', { severity: 'P2', labels: { env: 'prod' } });
    const events = await client.events(2);
    expect(events.map((e) => (e.event.incident as Incident).id)).toEqual([
      made.liveInside.id,
      made.liveLast.id,
    ]);
    await client.expectNothingPending();
  });

  it('refuses to create a key whose constraint has an invalid regex, naming the problem', async () => {
    const res = await as(admin)
      .post('/v1/api-keys')
      .send({
        name: 'bad-regex',
        scopes: ['incidents:read'],
        constraint: { label_matchers: [{ name: 'env', op: '=~', value: 'prod(' }] },
      })
      .expect(400);
    expect(res.body).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
    expect((res.body as { error: { message: string } }).error.message).toContain(
      'label_matchers[0].value is not a valid regular expression',
    );
    await as(admin)
      .post('/v1/api-keys')
      .send({ name: 'bad-severity', scopes: ['incidents:read'], constraint: { min_severity: 'P9' } })
      .expect(400);
  });

  it('refuses a token whose constraint carries an invalid regex with 401 (never widened)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      sub: 'bad',
      scope: 'incidents:read',
      llm_im_constraint: { label_matchers: [{ name: 'env', op: '=~', value: '(?=x)' }] },
    })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(JWT_SECRET));
    await as(token).get('/v1/incidents').expect(401);
  });
}

async function postgresAdmin(statement: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
