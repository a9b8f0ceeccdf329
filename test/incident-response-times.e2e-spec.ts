import BetterSqlite3 from 'better-sqlite3';
import { SignJWT } from 'jose';
import { Kysely, Migration, MigrationProvider, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import request from 'supertest';
import type { Incident, Severity } from '../src/domain';
import type { ResponseStats, ResponseTimeSummary } from '../src/incidents/dto/response-stats.response';
import type { Database } from '../src/storage/database.types';
import { migrationsFor } from '../src/storage/migrations';
import { amAlert, amWebhook, createIncident, makeIncident } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { describeOnEachStore } from './support/stores';
import { TestApp, startTestApp } from './support/test-app';

const ACK = 'llm_incident_manager_time_to_acknowledge_seconds';
const RESOLVE = 'llm_incident_manager_time_to_resolve_seconds';
const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** One histogram's series of one severity, as numbers: each bucket by its `le`, `sum` and `count`. */
interface Series {
  buckets: Record<string, number>;
  sum: number;
  count: number;
}

function series(metrics: string, name: string, severity: Severity): Series {
  const result: Series = { buckets: {}, sum: NaN, count: NaN };
  for (const line of metrics.split('\n')) {
    const match = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[2].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (labels.severity !== severity) continue;
    const value = Number(match[3]);
    if (match[1] === `${name}_bucket`) result.buckets[labels.le] = value;
    if (match[1] === `${name}_sum`) result.sum = value;
    if (match[1] === `${name}_count`) result.count = value;
  }
  return result;
}

/** What was observed between two scrapes (the registry is shared by the apps a spec file starts). */
function observedBetween(before: Series, after: Series): Series {
  return {
    buckets: Object.fromEntries(
      Object.entries(after.buckets).map(([le, n]) => [le, n - (before.buckets[le] ?? 0)]),
    ),
    sum: after.sum - before.sum,
    count: after.count - before.count,
  };
}

/** The summary of one incident's time. */
const summary = (seconds: number): ResponseTimeSummary => ({
  count: 1,
  mean_seconds: seconds,
  p50_seconds: seconds,
  p90_seconds: seconds,
  max_seconds: seconds,
});
const NONE: ResponseTimeSummary = {
  count: 0,
  mean_seconds: null,
  p50_seconds: null,
  p90_seconds: null,
  max_seconds: null,
};

describeOnEachStore('time to acknowledge and to resolve', (store) => {
  const clock = new ManualClock('2026-03-01T00:00:00.000Z');
  let t: TestApp & { dir: string };

  beforeAll(async () => {
    t = await startTestApp(store.overrides(), undefined, { clock });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const metrics = async (): Promise<string> => (await request(t.baseUrl).get('/metrics').expect(200)).text;
  const stats = async (window: string): Promise<ResponseStats> =>
    (await request(t.baseUrl).get('/v1/incidents/stats').query({ window }).expect(200)).body as ResponseStats;
  const bySeverity = (body: ResponseStats, severity: Severity) =>
    body.by_severity.find((s) => s.severity === severity);
  const patch = (id: string, state: string) =>
    request(t.baseUrl).patch(`/v1/incidents/${id}`).send({ state }).expect(200);
  const resolve = (id: string) =>
    request(t.baseUrl)
      .post(`/v1/incidents/${id}/resolve`)
      .send({ resolved_by: 'alice', method: 'Manual', notes: 'fixed' })
      .expect(200);

  it('exposes every severity of both histograms at 0 before anything happened', async () => {
    const text = await metrics();
    for (const name of [ACK, RESOLVE]) {
      for (const severity of ['P0', 'P1', 'P2', 'P3', 'P4'] as const) {
        const s = series(text, name, severity);
        expect(Object.keys(s.buckets)).toEqual([
          '10',
          '30',
          '60',
          '120',
          '300',
          '600',
          '900',
          '1800',
          '3600',
          '7200',
          '14400',
          '28800',
          '86400',
          '+Inf',
        ]);
        expect(Number.isFinite(s.count)).toBe(true);
      }
    }
  });

  it('acknowledged after 90 s and resolved after 300 s: the histograms and the stats say so', async () => {
    const before = await metrics();
    const incident = await createIncident(t.baseUrl, { severity: 'P1' });
    const waiting = await createIncident(t.baseUrl, { severity: 'P0' });
    await clock.advance(90 * SECOND);
    await request(t.baseUrl).post(`/v1/incidents/${incident.id}/acknowledge`).send({}).expect(200);
    await clock.advance(210 * SECOND);
    await resolve(incident.id);
    const after = await metrics();

    const acked = observedBetween(series(before, ACK, 'P1'), series(after, ACK, 'P1'));
    expect(acked).toMatchObject({ sum: 90, count: 1 });
    expect(acked.buckets).toMatchObject({ '60': 0, '120': 1, '86400': 1, '+Inf': 1 });
    const resolved = observedBetween(series(before, RESOLVE, 'P1'), series(after, RESOLVE, 'P1'));
    expect(resolved).toMatchObject({ sum: 300, count: 1 });
    expect(resolved.buckets).toMatchObject({ '120': 0, '300': 1, '+Inf': 1 });
    // Nothing observed under another severity.
    expect(observedBetween(series(before, ACK, 'P0'), series(after, ACK, 'P0')).count).toBe(0);

    const body = await stats('5m');
    expect(body).toMatchObject({
      window: '5m',
      window_seconds: 300,
      to: new Date(clock.now()).toISOString(),
      from: new Date(clock.now() - 5 * MINUTE).toISOString(),
    });
    expect(body.by_severity.map((s) => s.severity)).toEqual(['P0', 'P1', 'P2', 'P3', 'P4']);
    expect(bySeverity(body, 'P1')).toEqual({
      severity: 'P1',
      acknowledged: summary(90),
      resolved: summary(300),
      open: { total: 0, Detected: 0, Triaged: 0, Investigating: 0, Remediating: 0 },
    });
    expect(bySeverity(body, 'P0')).toEqual({
      severity: 'P0',
      acknowledged: NONE,
      resolved: NONE,
      open: { total: 1, Detected: 1, Triaged: 0, Investigating: 0, Remediating: 0 },
    });
    expect(body.all).toEqual({
      acknowledged: summary(90),
      resolved: summary(300),
      open: { total: 1, Detected: 1, Triaged: 0, Investigating: 0, Remediating: 0 },
    });
    await request(t.baseUrl).post(`/v1/incidents/${waiting.id}/close`).send({}).expect(200);
  });

  it('counts an incident once: back to Detected and out again, or reopened and resolved again, adds nothing', async () => {
    await clock.advance(10 * MINUTE);
    const before = await metrics();
    const incident = await createIncident(t.baseUrl, { severity: 'P3' });
    await clock.advance(60 * SECOND);
    await patch(incident.id, 'Investigating');
    await clock.advance(10 * SECOND);
    await patch(incident.id, 'Detected');
    await clock.advance(10 * SECOND);
    await request(t.baseUrl).post(`/v1/incidents/${incident.id}/acknowledge`).send({}).expect(200);
    await clock.advance(20 * SECOND);
    await patch(incident.id, 'Resolved');
    await clock.advance(10 * SECOND);
    await patch(incident.id, 'Triaged');
    await clock.advance(100 * SECOND);
    await resolve(incident.id);
    const after = await metrics();

    expect(observedBetween(series(before, ACK, 'P3'), series(after, ACK, 'P3'))).toMatchObject({
      sum: 60,
      count: 1,
    });
    expect(observedBetween(series(before, RESOLVE, 'P3'), series(after, RESOLVE, 'P3'))).toMatchObject({
      sum: 100,
      count: 1,
    });
    const p3 = bySeverity(await stats('5m'), 'P3');
    expect(p3?.acknowledged).toEqual(summary(60));
    expect(p3?.resolved).toEqual(summary(100));
  });

  it('an incident resolved straight from Detected (Alertmanager) has a time to resolve and none to acknowledge', async () => {
    await clock.advance(10 * MINUTE);
    const before = await metrics();
    const labels = { alertname: 'DiskFull', instance: 'db-1', severity: 'P4' };
    const fired = await request(t.baseUrl)
      .post('/v1/integrations/alertmanager')
      .send(amWebhook([amAlert('firing', labels)]))
      .expect(200);
    const id = (fired.body as { acks: { incident_id: string }[] }).acks[0].incident_id;
    await clock.advance(120 * SECOND);
    await request(t.baseUrl)
      .post('/v1/integrations/alertmanager')
      .send(amWebhook([amAlert('resolved', labels)], 'resolved'))
      .expect(200);
    const incident = (await request(t.baseUrl).get(`/v1/incidents/${id}`).expect(200)).body as Incident;
    expect(incident).toMatchObject({ state: 'Resolved', severity: 'P4' });
    const after = await metrics();

    expect(observedBetween(series(before, ACK, 'P4'), series(after, ACK, 'P4')).count).toBe(0);
    expect(observedBetween(series(before, RESOLVE, 'P4'), series(after, RESOLVE, 'P4'))).toMatchObject({
      sum: 120,
      count: 1,
    });
    const p4 = bySeverity(await stats('5m'), 'P4');
    expect(p4?.acknowledged).toEqual(NONE);
    expect(p4?.resolved).toEqual(summary(120));
  });

  it('counts each incident in the window its acknowledgement or resolution fell in', async () => {
    await clock.advance(10 * MINUTE);
    expect((await stats('5m')).all).toMatchObject({ acknowledged: NONE, resolved: NONE });
    const day = await stats('24h');
    expect(day.all.acknowledged).toEqual({
      count: 2,
      mean_seconds: 75,
      p50_seconds: 75,
      p90_seconds: 87,
      max_seconds: 90,
    });
    expect(day.all.resolved).toEqual({
      count: 3,
      mean_seconds: 173.333,
      p50_seconds: 120,
      p90_seconds: 264,
      max_seconds: 300,
    });
  });

  it('defaults to 24h and refuses a window that is not 1m..30d', async () => {
    const res = await request(t.baseUrl).get('/v1/incidents/stats').expect(200);
    expect(res.body).toMatchObject({ window: '24h', window_seconds: 86400 });
    await request(t.baseUrl).get('/v1/incidents/stats').query({ window: '30d' }).expect(200);
    await request(t.baseUrl).get('/v1/incidents/stats').query({ window: '720h' }).expect(200);
    for (const window of ['31d', '721h', '0m', '24', 'abc', '1w', '-1h', '']) {
      const refused = await request(t.baseUrl).get('/v1/incidents/stats').query({ window }).expect(400);
      expect(refused.body.error).toMatchObject({ code: 'VALIDATION_ERROR', status: 400 });
    }
  });

  it('gives the same answer after a restart: the stats come from the store', async () => {
    const before = await stats('30d');
    const previous = t;
    await previous.close();
    const sqlite = store.name === 'SQLite';
    t = await startTestApp(
      store.overrides(),
      sqlite ? { dbPath: previous.dbPath, dir: previous.dir } : undefined,
      { clock },
    );
    // On SQLite the new app keeps the directory (its database file); on PostgreSQL it has its own.
    if (!sqlite) await previous.cleanup();
    expect(await stats('30d')).toEqual(before);
  });
});

describeOnEachStore('GET /v1/incidents/stats with a constrained credential', (store) => {
  const SECRET = 'a-test-secret-of-at-least-32-bytes-long!';
  const clock = new ManualClock(Date.now());
  const dir = mkdtempSync(join(tmpdir(), 'llm-im-stats-auth-'));
  let t: TestApp;

  const token = (scope: string, constraint?: Record<string, unknown>): Promise<string> => {
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT({ sub: 'someone', scope, ...(constraint ? { llm_im_constraint: constraint } : {}) })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(SECRET));
  };
  const stats = async (bearer: string): Promise<ResponseStats> =>
    (await request(t.baseUrl).get('/v1/incidents/stats').set('authorization', `Bearer ${bearer}`).expect(200))
      .body as ResponseStats;

  beforeAll(async () => {
    t = await startTestApp(
      {
        ...store.overrides(),
        AUTH_MODE: 'required',
        AUTH_JWT_SECRET: SECRET,
        ADMIN_KEY_FILE: join(dir, 'admin.key'),
      },
      undefined,
      { clock },
    );
    const admin = await token('admin');
    const create = async (severity: Severity, team: string): Promise<string> =>
      (
        await request(t.baseUrl)
          .post('/v1/incidents')
          .set('authorization', `Bearer ${admin}`)
          .send({
            source: 'tests',
            title: `${severity} ${team}`,
            description: '',
            severity,
            incident_type: 'Application',
            labels: { team },
          })
          .expect(201)
      ).body.id as string;
    const ack = (id: string) =>
      request(t.baseUrl)
        .post(`/v1/incidents/${id}/acknowledge`)
        .set('authorization', `Bearer ${admin}`)
        .send({})
        .expect(200);
    const ours = await create('P1', 'a');
    const theirs = await create('P1', 'b');
    await create('P2', 'a');
    await clock.advance(30 * SECOND);
    await ack(ours);
    await clock.advance(30 * SECOND);
    await ack(theirs);
  });

  afterAll(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts every incident for an unconstrained credential', async () => {
    const body = await stats(await token('incidents:read'));
    expect(body.all.acknowledged).toMatchObject({ count: 2, mean_seconds: 45 });
    expect(body.all.open).toMatchObject({ total: 3, Detected: 1, Triaged: 2 });
  });

  it('counts only the incidents inside the constraint (severities: in SQL)', async () => {
    const body = await stats(await token('incidents:read', { severities: ['P1'] }));
    expect(body.all.acknowledged).toMatchObject({ count: 2, mean_seconds: 45 });
    expect(body.all.open).toMatchObject({ total: 2, Detected: 0, Triaged: 2 });
    expect(body.by_severity.find((s) => s.severity === 'P2')?.open.total).toBe(0);
  });

  it('counts only the incidents inside the constraint (labels: matched in memory)', async () => {
    const body = await stats(await token('incidents:read', { labels: { team: 'a' } }));
    expect(body.all.acknowledged).toMatchObject({ count: 1, mean_seconds: 30 });
    expect(body.all.open).toMatchObject({ total: 2, Detected: 1, Triaged: 1 });
  });

  it('refuses a credential without incidents:read (403)', async () => {
    await request(t.baseUrl)
      .get('/v1/incidents/stats')
      .set('authorization', `Bearer ${await token('alerts:write')}`)
      .expect(403);
    await request(t.baseUrl).get('/v1/incidents/stats').expect(401);
  });
});

/** Every migration released before 0011: the store as the previous release left it. */
class BeforeResponseTimes implements MigrationProvider {
  constructor(private readonly dialect: 'sqlite' | 'postgres') {}
  getMigrations(): Promise<Record<string, Migration>> {
    const all = migrationsFor(this.dialect);
    return Promise.resolve(
      Object.fromEntries(Object.entries(all).filter(([name]) => name < '0011_response_times')),
    );
  }
}

describeOnEachStore('migration 0011 on a store written by the previous release', (store) => {
  const created = '2026-05-01T10:00:00.000Z';
  const after = (seconds: number): string => new Date(Date.parse(created) + seconds * 1000).toISOString();
  const clock = new ManualClock(after(3600));
  const dir = mkdtempSync(join(tmpdir(), 'llm-im-0011-'));
  const dbPath = join(dir, 'incidents.db');
  let t: TestApp;

  beforeAll(async () => {
    const url = store.overrides().DATABASE_URL;
    const db = new Kysely<Database>({
      dialect:
        url === undefined
          ? new SqliteDialect({ database: new BetterSqlite3(dbPath) })
          : new PostgresDialect({ pool: new Pool({ connectionString: url, max: 1 }) }),
    });
    const migrated = await new Migrator({
      db,
      provider: new BeforeResponseTimes(url === undefined ? 'sqlite' : 'postgres'),
      allowUnorderedMigrations: true,
    }).migrateToLatest();
    expect(migrated.error).toBeUndefined();
    const entry = (seconds: number, from: string, to: string) => ({
      timestamp: after(seconds),
      event_type: to === 'Resolved' ? ('Resolved' as const) : ('StateChanged' as const),
      actor: 'bob',
      description: `${from} -> ${to}`,
      metadata: { from, to },
    });
    const stored = [
      makeIncident({
        created_at: created,
        updated_at: after(600),
        state: 'Resolved',
        severity: 'P1',
        timeline: [entry(45, 'Detected', 'Triaged'), entry(600, 'Triaged', 'Resolved')],
      }),
      makeIncident({ created_at: created, updated_at: created, state: 'Detected', severity: 'P1' }),
    ];
    for (const incident of stored) {
      await db
        .insertInto('incidents')
        .values({
          id: incident.id,
          created_at: incident.created_at,
          updated_at: incident.updated_at,
          state: incident.state,
          severity: incident.severity,
          incident_type: incident.incident_type,
          source: incident.source,
          fingerprint: null,
          last_alert_at: incident.created_at,
          document: JSON.stringify(incident),
        })
        .execute();
    }
    await db.destroy();
    t = await startTestApp(store.overrides(), url === undefined ? { dbPath, dir } : undefined, { clock });
  });

  afterAll(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fills acknowledged_at and first_resolved_at from the timelines of the incidents stored before', async () => {
    const body = (await request(t.baseUrl).get('/v1/incidents/stats?window=2h').expect(200))
      .body as ResponseStats;
    expect(body.by_severity.find((s) => s.severity === 'P1')).toMatchObject({
      acknowledged: summary(45),
      resolved: summary(600),
      open: { total: 1, Detected: 1 },
    });
  });
});
