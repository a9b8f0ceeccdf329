import BetterSqlite3 from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from './database.types';
import { InCodeMigrationProvider } from './migrations';

describe('migration 0004 (incident locality keys) on a database that already holds data', () => {
  let dir: string;
  let db: Kysely<Database>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-migrations-'));
    db = new Kysely<Database>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(join(dir, 'm.db')) }),
    });
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('backfills incident_created_at from the incident and finds rows through the new index', async () => {
    const migrator = new Migrator({ db, provider: new InCodeMigrationProvider('sqlite') });
    expect((await migrator.migrateTo('0003_alertmanager_external_id_index')).error).toBeUndefined();
    const created = '2026-01-02T03:04:05.000Z';
    // Rows as the schema before 0004 stores them (no incident_created_at column yet).
    await sql`insert into incidents (id, created_at, updated_at, state, severity, incident_type, source, document)
      values ('i-1', ${created}, ${created}, 'Detected', 'P1', 'Infrastructure', 'test', '{}')`.execute(db);
    await sql`insert into alerts (id, external_id, source, received_at, incident_id, origin, document)
      values ('a-1', 'e-1', 'test', ${created}, 'i-1', 'native', '{}')`.execute(db);
    await sql`insert into event_log (id, event_type, incident_id, created_at, payload)
      values ('v-1', 'incident_created', 'i-1', ${created}, '{}'), ('v-2', 'system_event', null, ${created}, '{}')`.execute(
      db,
    );

    expect((await migrator.migrateToLatest()).error).toBeUndefined();

    const alert = await db.selectFrom('alerts').select('incident_created_at').executeTakeFirstOrThrow();
    expect(alert.incident_created_at).toBe(created);
    const events = await db
      .selectFrom('event_log')
      .select(['id', 'incident_created_at'])
      .orderBy('sequence')
      .execute();
    expect(events).toEqual([
      { id: 'v-1', incident_created_at: created },
      { id: 'v-2', incident_created_at: null },
    ]);
    const plan = await sql<{ detail: string }>`explain query plan select id from event_log
      where incident_created_at = (select created_at from incidents where id = 'i-1') and incident_id = 'i-1'`.execute(
      db,
    );
    expect(plan.rows.map((r) => r.detail).join(' ')).toContain('event_log_incident_key');
  });
});
