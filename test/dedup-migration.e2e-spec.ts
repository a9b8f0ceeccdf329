import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migration, MigrationProvider, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import request from 'supertest';
import type { Incident, IncidentType } from '../src/domain';
import { DatabaseService } from '../src/storage/database.service';
import type { Database } from '../src/storage/database.types';
import { migrationsFor } from '../src/storage/migrations';
import { amAlert, amWebhook, makeAlert, makeIncident } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { describeOnEachStore } from './support/stores';
import { startTestApp, TestApp } from './support/test-app';

const MIGRATION = '0009_dedup_sliding_window';

/** Every migration released before 0009: the store as the previous release left it. */
class BeforeDedupWindow implements MigrationProvider {
  constructor(private readonly dialect: 'sqlite' | 'postgres') {}
  getMigrations(): Promise<Record<string, Migration>> {
    const all = migrationsFor(this.dialect);
    return Promise.resolve(Object.fromEntries(Object.entries(all).filter(([name]) => name < MIGRATION)));
  }
}

/** The fingerprint before 0009: SHA-256 of source, type, title and each service, concatenated. */
function oldFingerprint(source: string, type: IncidentType, title: string, services: string[]): string {
  return createHash('sha256')
    .update(source + type + title + services.join(''))
    .digest('hex');
}

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const at = (secondsAgo: number): string => new Date(NOW - secondsAgo * 1000).toISOString();

/**
 * Stores an incident and its opening alert as the previous release wrote them (old fingerprint, no last_alert_at),
 * plus `duplicates` attached afterwards (seconds ago each).
 */
async function storeOldIncident(
  db: Kysely<Database>,
  fields: { title: string; services: string[]; state?: Incident['state'] },
  createdSecondsAgo: number,
  opening: { origin: 'native' | 'alertmanager'; externalId?: string; startsAt?: string },
  duplicates: number[] = [],
): Promise<Incident> {
  const created = at(createdSecondsAgo);
  const incident = makeIncident({
    id: randomUUID(),
    created_at: created,
    updated_at: created,
    state: fields.state ?? 'Detected',
    source: 'prometheus',
    incident_type: 'Performance',
    title: fields.title,
    affected_resources: fields.services,
    fingerprint: oldFingerprint('prometheus', 'Performance', fields.title, fields.services),
    timeline: [
      { timestamp: created, event_type: 'Created', actor: 'system', description: 'created', metadata: {} },
      ...duplicates.map((secondsAgo) => ({
        timestamp: at(secondsAgo),
        event_type: 'AlertReceived' as const,
        actor: 'deduplication-engine',
        description: 'Duplicate alert received',
        metadata: {},
      })),
    ],
  });
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
      fingerprint: incident.fingerprint,
      document: JSON.stringify(incident),
    })
    .execute();
  const alert = makeAlert({
    external_id: opening.externalId ?? randomUUID(),
    received_at: created,
    incident_id: incident.id,
    title: fields.title,
  });
  await db
    .insertInto('alerts')
    .values({
      id: alert.id,
      external_id: alert.external_id,
      source: 'prometheus',
      received_at: created,
      incident_id: incident.id,
      incident_created_at: created,
      origin: opening.origin,
      origin_status: opening.origin === 'alertmanager' ? 'firing' : null,
      origin_starts_at: opening.startsAt ?? null,
      document: JSON.stringify(alert),
    })
    .execute();
  return incident;
}

describeOnEachStore('migration 0009 on a store written by the previous release', (store) => {
  const clock = new ManualClock(NOW);
  const dir = mkdtempSync(join(tmpdir(), 'llm-im-0009-'));
  const dbPath = join(dir, 'incidents.db');
  let t: TestApp;
  let native: Incident;
  let alertmanager: Incident;
  let longRunning: Incident;
  let closed: Incident;
  let stale: Incident;

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
      provider: new BeforeDedupWindow(url === undefined ? 'sqlite' : 'postgres'),
      allowUnorderedMigrations: true,
    }).migrateToLatest();
    expect(migrated.error).toBeUndefined();

    native = await storeOldIncident(db, { title: 'Latency high', services: ['web', 'api'] }, 120, {
      origin: 'native',
    });
    alertmanager = await storeOldIncident(db, { title: 'DiskFull summary', services: ['db'] }, 60, {
      origin: 'alertmanager',
      externalId: 'old-am-fingerprint',
      startsAt: '2026-06-01T11:59:00Z',
    });
    // Opened an hour ago, its last duplicate 100 s ago: inside a 300 s window that slides.
    longRunning = await storeOldIncident(
      db,
      { title: 'Flapping', services: [] },
      3600,
      { origin: 'native' },
      [3000, 1000, 100],
    );
    closed = await storeOldIncident(db, { title: 'Gone', services: [], state: 'Closed' }, 30, {
      origin: 'native',
    });
    // Its last alert arrived 400 s ago: outside the window.
    stale = await storeOldIncident(db, { title: 'Quiet', services: [] }, 900, { origin: 'native' }, [400]);
    await db.destroy();

    t = await startTestApp(
      { ...store.overrides(), DEDUP_WINDOW_SECS: '300' },
      url === undefined ? { dbPath, dir } : undefined,
      { clock },
    );
  });

  afterAll(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = async (title: string, services: string[]) =>
    (
      await request(t.baseUrl)
        .post('/v1/alerts')
        .send({
          source: 'prometheus',
          title,
          description: 'after the upgrade',
          severity: 'P2',
          alert_type: 'Performance',
          affected_services: services,
        })
        .expect(200)
    ).body as { status: string; incident_id: string };

  it('deduplicates a new alert into the active incident it matched before (services in any order)', async () => {
    expect(await send('Latency high', ['api', 'web'])).toMatchObject({
      status: 'Duplicate',
      incident_id: native.id,
    });
    const incident = (await request(t.baseUrl).get(`/v1/incidents/${native.id}`).expect(200)).body;
    expect(incident.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(incident.fingerprint).not.toBe(native.fingerprint);
  });

  it('keys an incident opened by Alertmanager by that alert’s fingerprint', async () => {
    const res = await request(t.baseUrl)
      .post('/v1/integrations/alertmanager')
      .send(
        amWebhook([
          amAlert(
            'firing',
            { alertname: 'DiskFull', instance: 'db-1' },
            { fingerprint: 'old-am-fingerprint', startsAt: '2026-06-01T12:00:00Z' },
          ),
        ]),
      )
      .expect(200);
    expect(res.body.acks[0]).toMatchObject({ status: 'Duplicate', incident_id: alertmanager.id });
  });

  it('counts the window from the last alert the stored timeline records', async () => {
    expect(await send('Flapping', [])).toMatchObject({ status: 'Duplicate', incident_id: longRunning.id });
    const quiet = await send('Quiet', []);
    expect(quiet.status).toBe('Accepted');
    expect(quiet.incident_id).not.toBe(stale.id);
  });

  it('leaves closed incidents alone', async () => {
    const res = await send('Gone', []);
    expect(res.status).toBe('Accepted');
    expect(res.incident_id).not.toBe(closed.id);
    const incident = (await request(t.baseUrl).get(`/v1/incidents/${closed.id}`).expect(200)).body;
    expect(incident.fingerprint).toBe(closed.fingerprint);
  });

  it('finds the incident of a fingerprint through the (fingerprint, last_alert_at) index', async () => {
    const database = t.app.get(DatabaseService);
    const sqlite = database.dialect === 'sqlite';
    const plan = await database.db.transaction().execute(async (tx) => {
      // A table of a few rows is read whole by PostgreSQL's planner; what matters is that the index serves the query.
      if (!sqlite) await sql`set local enable_seqscan = off`.execute(tx);
      return sql<Record<string, string>>`${sqlite ? sql`explain query plan` : sql`explain`}
        select document from incidents
        where fingerprint = ${'f'} and last_alert_at >= ${'t'} and state in ('Detected', 'Triaged')
        order by last_alert_at desc limit 1`.execute(tx);
    });
    expect(JSON.stringify(plan.rows)).toContain('incidents_dedup');
  });
});
