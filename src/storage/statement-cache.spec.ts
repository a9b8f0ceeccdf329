import BetterSqlite3 from 'better-sqlite3';
import { Generated, Kysely, SqliteDatabase, SqliteDialect, sql } from 'kysely';
import { withStatementCache } from './statement-cache';

describe('withStatementCache (better-sqlite3, in memory)', () => {
  let sqlite: BetterSqlite3.Database;
  let prepare: jest.SpyInstance;

  beforeEach(() => {
    sqlite = new BetterSqlite3(':memory:');
    sqlite.exec('create table t (id integer primary key, body text not null)');
    prepare = jest.spyOn(sqlite, 'prepare');
  });

  afterEach(() => {
    if (sqlite.open) sqlite.close();
  });

  const cached = (capacity?: number): SqliteDatabase => withStatementCache(sqlite, capacity);

  it('prepares a SQL text once and runs the same statement with the parameters of each call', () => {
    const db = cached();
    const insert = db.prepare('insert into t (body) values (?)');
    expect(db.prepare('insert into t (body) values (?)')).toBe(insert);
    insert.run(['a']);
    db.prepare('insert into t (body) values (?)').run(['b']);
    const select = db.prepare('select body from t where id = ?');
    expect(select.all([1])).toEqual([{ body: 'a' }]);
    expect(db.prepare('select body from t where id = ?').all([2])).toEqual([{ body: 'b' }]);
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it('keeps the most recently used statements and evicts the least recently used one past capacity', () => {
    const db = cached(2);
    const a = db.prepare('select 1 as a');
    const b = db.prepare('select 2 as b');
    expect(db.prepare('select 1 as a')).toBe(a); // a is now more recent than b
    db.prepare('select 3 as c'); // evicts b
    expect(db.prepare('select 1 as a')).toBe(a);
    const again = db.prepare('select 2 as b');
    expect(again).not.toBe(b);
    expect(again.all([])).toEqual([{ b: 2 }]);
    expect(prepare).toHaveBeenCalledTimes(4);
  });

  it('answers with the current schema when a cached statement outlives a schema change', () => {
    const db = cached();
    db.prepare('insert into t (body) values (?)').run(['x']);
    expect(db.prepare('select * from t').all([])).toEqual([{ id: 1, body: 'x' }]);
    sqlite.exec("alter table t add column extra text not null default 'y'");
    expect(db.prepare('select * from t').all([])).toEqual([{ id: 1, body: 'x', extra: 'y' }]);
  });

  it('closes the underlying database', () => {
    cached().close();
    expect(sqlite.open).toBe(false);
  });

  it('serves Kysely: one prepare per distinct query however often it runs, inside transactions too', async () => {
    const db = new Kysely<{ t: { id: Generated<number>; body: string } }>({
      dialect: new SqliteDialect({ database: cached() }),
    });
    try {
      for (let i = 0; i < 5; i++) {
        await db.transaction().execute(async (tx) => {
          await tx
            .insertInto('t')
            .values({ body: `row ${i}` })
            .execute();
        });
      }
      const rows = await db.selectFrom('t').select('body').orderBy('id').execute();
      expect(rows.map((r) => r.body)).toEqual(['row 0', 'row 1', 'row 2', 'row 3', 'row 4']);
      const distinct = new Set(prepare.mock.calls.map(([text]) => text as string));
      expect(prepare).toHaveBeenCalledTimes(distinct.size);
      expect((await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows).toEqual([{ n: 5 }]);
    } finally {
      await db.destroy();
    }
    expect(sqlite.open).toBe(false);
  });
});
