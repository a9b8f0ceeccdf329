import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './database.types';
import { PrecompiledQuery, slotRow } from './precompiled-query';

describe('PrecompiledQuery', () => {
  let db: Kysely<Database>;

  beforeEach(async () => {
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }) });
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
      .addColumn('document', 'text')
      .execute();
  });

  afterEach(() => db.destroy());

  it('binds named values where the placeholders were, keeps constants, and reuses one SQL text', async () => {
    const columns = [
      'id',
      'created_at',
      'updated_at',
      'state',
      'severity',
      'incident_type',
      'source',
      'fingerprint',
      'document',
    ] as const;
    const row = { created_at: 't', updated_at: 't', severity: 'P1', incident_type: 'Security', source: 's' };
    const insert = PrecompiledQuery.build<unknown, (typeof columns)[number]>((slot) =>
      db.insertInto('incidents').values(slotRow(columns, slot)).compile(),
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
});
