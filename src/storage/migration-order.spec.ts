import { Logger } from '@nestjs/common';
import { sql } from 'kysely';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../config/app-config';
import { DatabaseService } from './database.service';
import { migrationsFor } from './migrations';

describe('migrations released out of name order', () => {
  let dir: string;

  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(['log', 'error', 'warn']));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-migration-order-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a store migrated with 0007 before 0006 existed still starts and applies 0006', async () => {
    const config = { database: { url: `file:${join(dir, 'm.db')}` } } as AppConfig;
    const first = new DatabaseService(config);
    await first.onModuleInit();
    // The store as a server built between the two releases left it: 0007 applied, 0006 unknown to it.
    await migrationsFor('sqlite')['0006_event_log_match'].down?.(first.db);
    await sql`delete from kysely_migration where name = '0006_event_log_match'`.execute(first.db);
    await first.onApplicationShutdown();

    const second = new DatabaseService(config);
    await expect(second.onModuleInit()).resolves.toBeUndefined();
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      second.db,
    );
    expect(applied.rows.map((r) => r.name)).toContain('0006_event_log_match');
    await sql`select match_subjects from event_log`.execute(second.db);
    await second.onApplicationShutdown();
  });
});
