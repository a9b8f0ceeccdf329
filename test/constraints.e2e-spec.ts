import { SignJWT } from 'jose';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import type { Incident } from '../src/domain';
import { alertBody, incidentBody } from './support/fixtures';
import { eventually } from './support/eventually';
import { describeIfPostgres, postgresDatabaseUrl, TEST_DATABASE_URL } from './support/postgres';
import { TestApp, startTestApp } from './support/test-app';
import { prng } from './support/prng';

const JWT_SECRET = 'a-test-secret-of-at-least-32-bytes-long!';

interface StoredEntry {
  sequence: number;
  event_type: string;
  incident_id: string | null;
}

describe('a credential constraint on every REST read and write (AUTH_MODE=required, SQLite)', () => {
  constraintSpecs(null);
});

// The SQL differs between the stores (the keyset scan, the event log's join): the same cases on PostgreSQL.
describeIfPostgres(
  'a credential constraint on every REST read and write (AUTH_MODE=required, PostgreSQL)',
  () => {
    constraintSpecs(`llm_im_test_${randomBytes(6).toString('hex')}`);
  },
);

function constraintSpecs(postgresDatabase: string | null): void {
  let t: TestApp;
  let dir: string;
  let admin: string;

  async function jwt(claims: Record<string, unknown>): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(JWT_SECRET));
  }

  const constrained = (constraint: Record<string, unknown>, sub = 'scoped'): Promise<string> =>
    jwt({ sub, scope: 'incidents:read incidents:write', llm_im_constraint: constraint });

  const as = (token: string) => ({
    get: (path: string) => request(t.baseUrl).get(path).set('authorization', `Bearer ${token}`),
    post: (path: string) => request(t.baseUrl).post(path).set('authorization', `Bearer ${token}`),
    patch: (path: string) => request(t.baseUrl).patch(path).set('authorization', `Bearer ${token}`),
    put: (path: string) => request(t.baseUrl).put(path).set('authorization', `Bearer ${token}`),
  });

  async function create(overrides: Record<string, unknown>): Promise<Incident> {
    return (await as(admin).post('/v1/incidents').send(incidentBody(overrides)).expect(201)).body as Incident;
  }

  /** Every incident a token lists, page after page, and the total of each page. */
  async function listAll(
    token: string,
    pageSize: number,
    query = '',
  ): Promise<{ ids: string[]; totals: number[] }> {
    const ids: string[] = [];
    const totals: number[] = [];
    for (let page = 0; ; page++) {
      const res = await as(token).get(`/v1/incidents?page=${page}&page_size=${pageSize}${query}`).expect(200);
      const body = res.body as { incidents: Incident[]; total: number };
      totals.push(body.total);
      ids.push(...body.incidents.map((i) => i.id));
      if (body.incidents.length < pageSize) return { ids, totals };
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-constraints-'));
    if (postgresDatabase !== null) await postgresAdmin(`CREATE DATABASE ${postgresDatabase}`);
    t = await startTestApp({
      AUTH_MODE: 'required',
      AUTH_JWT_SECRET: JWT_SECRET,
      ADMIN_KEY_FILE: join(dir, 'admin.key'),
      ...(postgresDatabase !== null ? { DATABASE_URL: postgresDatabaseUrl(postgresDatabase) } : {}),
    });
    admin = await jwt({ sub: 'operator', scope: 'admin' });
  });

  afterAll(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
    if (postgresDatabase !== null) {
      await postgresAdmin(`DROP DATABASE IF EXISTS ${postgresDatabase} WITH (FORCE)`);
    }
  });

  describe('each route', () => {
    let token: string;
    let inside: Incident;
    let outside: Incident;
    let insideAlertId: string;
    let outsideAlertId: string;

    beforeAll(async () => {
      await as(admin)
        .post('/v1/escalation-policies')
        .send({
          name: 'everything',
          severities: ['P0', 'P1', 'P2', 'P3', 'P4'],
          levels: [{ level: 1, delay_minutes: 60, targets: [{ type: 'user', name: 'alice' }] }],
        })
        .expect(201);
      token = await constrained({ labels: { team: 'payments' }, severities: ['P1', 'P2'] });
      const insideAck = (
        await as(admin)
          .post('/v1/alerts')
          .send(alertBody({ severity: 'P1', labels: { team: 'payments', env: 'prod' } }))
          .expect(200)
      ).body as { alert_id: string; incident_id: string };
      const outsideAck = (
        await as(admin)
          .post('/v1/alerts')
          .send(alertBody({ severity: 'P1', labels: { team: 'search', env: 'prod' } }))
          .expect(200)
      ).body as { alert_id: string; incident_id: string };
      insideAlertId = insideAck.alert_id;
      outsideAlertId = outsideAck.alert_id;
      inside = (await as(admin).get(`/v1/incidents/${insideAck.incident_id}`).expect(200)).body as Incident;
      outside = (await as(admin).get(`/v1/incidents/${outsideAck.incident_id}`).expect(200)).body as Incident;
      // Both have an escalation schedule, so a 404 for the outside one is the constraint's doing.
      for (const incident of [inside, outside]) {
        await eventually(
          async () => (await as(admin).get(`/v1/incidents/${incident.id}/escalation`)).status === 200,
          5000,
          'escalation schedules',
        );
      }
    });

    it('answers an incident outside the constraint exactly as a missing one', async () => {
      await as(token).get(`/v1/incidents/${inside.id}`).expect(200);
      const outsideRes = await as(token).get(`/v1/incidents/${outside.id}`).expect(404);
      const missing = '00000000-0000-4000-8000-000000000000';
      const missingRes = await as(token).get(`/v1/incidents/${missing}`).expect(404);
      expect(outsideRes.body).toEqual({
        error: { code: 'NOT_FOUND', message: `Incident ${outside.id} not found`, status: 404 },
      });
      expect((missingRes.body as { error: { message: string } }).error.message).toBe(
        `Incident ${missing} not found`,
      );
    });

    it.each(['alerts', 'escalation', 'playbook-runs', 'events'])(
      'answers /v1/incidents/:id/%s 404 for an incident outside, 200 inside',
      async (sub) => {
        await as(token).get(`/v1/incidents/${inside.id}/${sub}`).expect(200);
        await as(token).get(`/v1/incidents/${outside.id}/${sub}`).expect(404);
        await as(admin).get(`/v1/incidents/${outside.id}/${sub}`).expect(200);
      },
    );

    it('answers an alert whose incident is outside 404', async () => {
      await as(token).get(`/v1/alerts/${insideAlertId}`).expect(200);
      await as(token).get(`/v1/alerts/${outsideAlertId}`).expect(404);
    });

    it('leaves incidents outside the constraint out of the list and its total', async () => {
      const mine = await listAll(token, 100);
      expect(mine.ids).toContain(inside.id);
      expect(mine.ids).not.toContain(outside.id);
      expect(mine.totals[0]).toBe(mine.ids.length);
    });

    it('shows only the events of incidents inside, and system events', async () => {
      const all = (await as(admin).get('/v1/events?limit=1000').expect(200)).body.events as StoredEntry[];
      expect(all.some((e) => e.incident_id === outside.id)).toBe(true);
      const mine = (await as(token).get('/v1/events?limit=1000').expect(200)).body.events as StoredEntry[];
      expect(mine.some((e) => e.incident_id === inside.id)).toBe(true);
      for (const entry of mine) {
        if (entry.incident_id === null) expect(entry.event_type).toBe('system_event');
        else expect(entry.incident_id).toBe(inside.id);
      }
      // Paging with `after_sequence` and `limit` still works: one entry at a time gives the same entries.
      const oneByOne: StoredEntry[] = [];
      let after = 0;
      for (;;) {
        const page = (await as(token).get(`/v1/events?limit=1&after_sequence=${after}`).expect(200)).body
          .events as StoredEntry[];
        if (page.length === 0) break;
        oneByOne.push(...page);
        after = page[0].sequence;
      }
      expect(oneByOne).toEqual(mine);
    });

    it('filters the event log by the constraint event types', async () => {
      const typed = await constrained({ event_types: ['incident_created'], incident_ids: [inside.id] });
      const events = (await as(typed).get('/v1/events?limit=1000').expect(200)).body.events as StoredEntry[];
      expect(events.map((e) => [e.event_type, e.incident_id])).toEqual([['incident_created', inside.id]]);
    });

    it('refuses every write addressed to an incident outside with 404 and changes nothing', async () => {
      const before = (await as(admin).get(`/v1/incidents/${outside.id}`).expect(200)).body as Incident;
      const id = outside.id;
      await as(token)
        .patch(`/v1/incidents/${id}`)
        .send({ assignees: ['mallory'] })
        .expect(404);
      await as(token)
        .put(`/v1/incidents/${id}`)
        .send({ assignees: ['mallory'] })
        .expect(404);
      await as(token).post(`/v1/incidents/${id}/comments`).send({ author: 'm', comment: 'hi' }).expect(404);
      await as(token)
        .post(`/v1/incidents/${id}/escalate`)
        .send({ to_severity: 'P0', reason: 'because' })
        .expect(404);
      await as(token)
        .post(`/v1/incidents/${id}/resolve`)
        .send({ resolved_by: 'm', method: 'Manual', notes: '' })
        .expect(404);
      await as(token).post(`/v1/incidents/${id}/close`).send({}).expect(404);
      const playbook = (
        await as(admin)
          .post('/v1/playbooks')
          .send({ name: 'noop', steps: [{ action: { type: 'add_labels', labels: { x: 'y' } } }] })
          .expect(201)
      ).body as { id: string };
      await as(token).post(`/v1/incidents/${id}/playbooks/${playbook.id}/run`).send({}).expect(404);
      expect((await as(admin).get(`/v1/incidents/${id}`).expect(200)).body).toEqual(before);
      // The same writes inside the constraint go through.
      await as(token)
        .patch(`/v1/incidents/${inside.id}`)
        .send({ assignees: ['alice'] })
        .expect(200);
      await as(token)
        .post(`/v1/incidents/${inside.id}/comments`)
        .send({ author: 'a', comment: 'ok' })
        .expect(201);
    });

    it('refuses a token whose constraint is not a valid filter with 401', async () => {
      const bad = await constrained({ severities: 'P1' });
      await as(bad).get('/v1/incidents').expect(401);
      await as(bad).get(`/v1/incidents/${inside.id}`).expect(401);
    });
  });

  describe('random incidents and constraints', () => {
    const SEVERITIES = ['P0', 'P1', 'P2', 'P3', 'P4'];
    const SOURCES = ['prometheus', 'siem', 'manual'];
    const RESOURCES = ['db', 'api', 'vpn', 'cache'];
    const LABEL_KEYS = ['env', 'team'];
    const LABEL_VALUES = ['prod', 'dev', 'sre'];

    /** The constraint's meaning, written out independently of the server's code. */
    function inConstraint(incident: Incident, c: Record<string, unknown>): boolean {
      const list = (key: string): string[] => (c[key] as string[] | undefined) ?? [];
      const within = (key: string, value: string): boolean =>
        list(key).length === 0 || list(key).includes(value);
      const resources = list('affected_resources');
      const labels = (c.labels as Record<string, string> | undefined) ?? {};
      return (
        within('severities', incident.severity) &&
        within('states', incident.state) &&
        within('sources', incident.source) &&
        within('incident_ids', incident.id) &&
        (resources.length === 0 || resources.some((r) => incident.affected_resources.includes(r))) &&
        Object.entries(labels).every(([k, v]) => incident.labels[k] === v)
      );
    }

    it('lists, over all pages, exactly the incidents inside each random constraint, newest first', async () => {
      const random = prng(20261203);
      const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
      const someOf = <T>(values: readonly T[]): T[] =>
        random() < 0.5 ? [] : values.filter(() => random() < 0.5);
      for (let i = 0; i < 60; i++) {
        const labels: Record<string, string> = {};
        for (const key of LABEL_KEYS) if (random() < 0.6) labels[key] = pick(LABEL_VALUES);
        const created = await create({
          severity: pick(SEVERITIES),
          source: pick(SOURCES),
          affected_resources: RESOURCES.filter(() => random() < 0.35),
          labels,
        });
        const r = random();
        if (r < 0.25) await as(admin).post(`/v1/incidents/${created.id}/close`).send({}).expect(200);
        else if (r < 0.5) {
          await as(admin).patch(`/v1/incidents/${created.id}`).send({ state: 'Investigating' }).expect(200);
        }
      }
      const all = await listAll(admin, 100);
      const incidents = await Promise.all(
        all.ids.map(async (id) => (await as(admin).get(`/v1/incidents/${id}`).expect(200)).body as Incident),
      );
      let nonEmpty = 0;
      for (let round = 0; round < 25; round++) {
        const labels: Record<string, string> = {};
        for (const key of LABEL_KEYS) if (random() < 0.3) labels[key] = pick(LABEL_VALUES);
        const constraint: Record<string, unknown> = {
          severities: someOf(SEVERITIES),
          states: someOf(['Detected', 'Investigating', 'Closed']),
          sources: someOf(SOURCES),
          affected_resources: someOf(RESOURCES),
          labels,
          ...(random() < 0.2
            ? { incident_ids: incidents.filter(() => random() < 0.5).map((i) => i.id) }
            : {}),
        };
        const expected = incidents.filter((i) => inConstraint(i, constraint)).map((i) => i.id);
        if (expected.length > 0) nonEmpty += 1;
        const pageSize = 1 + Math.floor(random() * 9);
        const listed = await listAll(await constrained(constraint, `r${round}`), pageSize);
        expect({ round, constraint, ids: listed.ids }).toEqual({ round, constraint, ids: expected });
        expect(new Set(listed.totals)).toEqual(new Set([expected.length]));
      }
      expect(nonEmpty).toBeGreaterThan(5);
    });
  });
}

async function postgresAdmin(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
