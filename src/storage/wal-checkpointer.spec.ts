import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalCheckpointer } from './wal-checkpointer';

describe('WalCheckpointer', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-wal-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies committed WAL pages into the database file from its worker while the writer goes on', async () => {
    const path = join(dir, 'w.db');
    const writer = new BetterSqlite3(path);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('create table t (id integer primary key, body text)');
    const insert = writer.prepare('insert into t (body) values (?)');
    writer.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run('x'.repeat(500));
    })();
    // Nothing checkpointed yet: the rows are only in the WAL.
    expect(statSync(path).size).toBeLessThan(64 * 1024);

    const checkpointer = new WalCheckpointer(path, 10);
    try {
      const deadline = Date.now() + 5000;
      while (statSync(path).size < 512 * 1024 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(statSync(path).size).toBeGreaterThan(512 * 1024);
      insert.run('still writable');
      expect(writer.prepare('select count(*) as n from t').get()).toEqual({ n: 2001 });
    } finally {
      await checkpointer.stop();
      writer.close();
    }
  });

  it('still copies a commit that comes after the database has been idle for a while', async () => {
    const path = join(dir, 'idle.db');
    const writer = new BetterSqlite3(path);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('create table t (id integer primary key, body text)');
    const insert = writer.prepare('insert into t (body) values (?)');
    const checkpointer = new WalCheckpointer(path, 10);
    try {
      // Idle: the worker looks less and less often.
      await new Promise((resolve) => setTimeout(resolve, 400));
      writer.transaction(() => {
        for (let i = 0; i < 2000; i++) insert.run('x'.repeat(500));
      })();
      const deadline = Date.now() + 5000;
      while (statSync(path).size < 512 * 1024 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(statSync(path).size).toBeGreaterThan(512 * 1024);
    } finally {
      await checkpointer.stop();
      writer.close();
    }
  });
});
