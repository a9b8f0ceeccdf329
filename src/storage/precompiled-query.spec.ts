import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './database.types';
import { INCIDENT_COLUMNS } from '../incidents/incidents.repository';
import { DirectStatements, directStatements } from './direct-statements';
import { PrecompiledQuery, slotRow } from './precompiled-query';

describe('PrecompiledQuery', () => {
  let db: Kysely<Database>;
  let sqlite: BetterSqlite3.Database;

  beforeEach(async () => {
    sqlite = new BetterSqlite3(':memory:');
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'text')
      .addColumn('updated_at', 'text')
      .addColumn('state', 'text')
      .addColumn('severity', 'text')
      .addColumn('incident_type', 'text')
      .addColumn('source', 'text')
      .addColumn('fingerprint', 'text')
      .addColumn('last_alert_at', 'text')
      .addColumn('acknowledged_at', 'text')
      .addColumn('first_resolved_at', 'text')
      .addColumn('document', 'text')
      .execute();
  });

  afterEach(() => db.destroy());

  it('binds named values where the placeholders were, keeps constants, and reuses one SQL text', async () => {
    const row = {
      created_at: 't',
      updated_at: 't',
      severity: 'P1',
      incident_type: 'Security',
      source: 's',
      last_alert_at: 't',
      acknowledged_at: null,
      first_resolved_at: null,
    };
    const insert = PrecompiledQuery.build<unknown, (typeof INCIDENT_COLUMNS)[number]>((slot) =>
      db.insertInto('incidents').values(slotRow(INCIDENT_COLUMNS, slot)).compile(),
    );
    await insert.run(db, { ...row, id: 'a', state: 'Detected', fingerprint: 'f1', document: '{}' });
    await insert.run(db, { ...row, id: 'b', state: 'Closed', fingerprint: 'f1', document: '{}' });
    await insert.run(db, { ...row, id: 'c', state: 'Detected', fingerprint: null, document: '{}' });

    // A slot used twice, and a constant `in` list compiled into the statement.
    const find = PrecompiledQuery.build<{ id: string }, 'key'>((slot) =>
      db
        .selectFrom('incidents')
        .select('id')
        .where((eb) => eb.or([eb('fingerprint', '=', slot('key')), eb('id', '=', slot('key'))]))
        .where('state', 'in', ['Detected', 'Triaged'])
        .orderBy('id')
        .compile(),
    );
    expect((await find.run(db, { key: 'f1' })).rows).toEqual([{ id: 'a' }]);
    expect((await find.run(db, { key: 'c' })).rows).toEqual([{ id: 'c' }]);
    expect((await find.run(db, { key: 'none' })).rows).toEqual([]);
  });

  it('names its parameters in order and runs with them given positionally (multi-row inserts)', async () => {
    const insert = PrecompiledQuery.build<unknown, string>((slot) =>
      db
        .insertInto('incidents')
        .values([0, 1].map((row) => slotRow(INCIDENT_COLUMNS, (column) => slot(`${row}:${column}`))))
        .compile(),
    );
    expect(insert.parameterNames).toEqual(
      [0, 1].flatMap((row) => INCIDENT_COLUMNS.map((c) => `${row}:${c}`)),
    );

    const row = (id: string, state: string) => [
      id,
      't0',
      't1',
      state,
      'P1',
      'Security',
      's',
      null,
      't2',
      null,
      null,
      `{"id":"${id}"}`,
    ];
    await insert.runInOrder(db, [...row('a', 'Detected'), ...row('b', 'Closed')]);
    const rows = await db.selectFrom('incidents').select(['id', 'state', 'document']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'a', state: 'Detected', document: '{"id":"a"}' },
      { id: 'b', state: 'Closed', document: '{"id":"b"}' },
    ]);
    expect(() => insert.runInOrder(db, row('c', 'Detected'))).toThrow('expected 24 parameters, got 12');
  });

  it("runs a transaction's statements directly on SQLite, with Kysely's results and errors, and the rest through Kysely", async () => {
    // Counts the statements run without Kysely.
    const inner = directStatements(sqlite);
    let directRuns = 0;
    const direct: DirectStatements = {
      prepare: (sql) => {
        const statement = inner.prepare(sql);
        return {
          run: <Row>(parameters: readonly unknown[]) => {
            directRuns += 1;
            return statement.run<Row>(parameters);
          },
        };
      },
    };
    const insert = PrecompiledQuery.build<unknown, 'id'>(
      (slot) =>
        db
          .insertInto('incidents')
          .values({ id: slot('id'), state: 'Detected', document: '{}' } as never)
          .compile(),
      direct,
    );
    const find = PrecompiledQuery.build<{ id: string }, 'id'>(
      (slot) => db.selectFrom('incidents').select('id').where('id', '=', slot('id')).compile(),
      direct,
    );

    await db.transaction().execute(async (tx) => {
      expect(await insert.run(tx, { id: 'a' })).toEqual({ rows: [], numAffectedRows: 1n, insertId: 1n });
      expect((await find.run(tx, { id: 'a' })).rows).toEqual([{ id: 'a' }]);
      // A failing statement rejects, as through Kysely, and the transaction goes on.
      await expect(insert.run(tx, { id: 'a' })).rejects.toThrow(/UNIQUE constraint failed/);
    });
    expect(directRuns).toBe(3);

    // Outside a transaction the statement waits for Kysely's connection like any other query.
    expect((await find.run(db, { id: 'a' })).rows).toEqual([{ id: 'a' }]);
    expect(await insert.run(db, { id: 'c' })).toEqual({ rows: [], numAffectedRows: 1n, insertId: 2n });
    expect(directRuns).toBe(3);

    // The direct statements belong to the transaction: a rollback takes them back.
    await expect(
      db.transaction().execute(async (tx) => {
        await insert.run(tx, { id: 'b' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(directRuns).toBe(4);
    expect((await find.run(db, { id: 'b' })).rows).toEqual([]);
  });
});
