import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { TEST_DATABASE_URL, describeIfPostgres, postgresDatabaseUrl } from './postgres';

/** What a spec run on one store passes to startTestApp: the store's DATABASE_URL (none for SQLite's temp file). */
export interface StoreUnderTest {
  name: 'SQLite' | 'PostgreSQL';
  /** Overrides for startTestApp; read it in beforeAll or later (the PostgreSQL database is created then). */
  overrides(): Record<string, string>;
}

/**
 * Runs the same tests on SQLite, always, and on PostgreSQL when TEST_DATABASE_URL is set (a fresh database, dropped
 * afterwards): answers that must not depend on the store (a 500 on PostgreSQL where SQLite accepted) are tested on both.
 */
export function describeOnEachStore(name: string, fn: (store: StoreUnderTest) => void): void {
  describe(`${name} (SQLite)`, () => fn({ name: 'SQLite', overrides: () => ({}) }));
  describeIfPostgres(`${name} (PostgreSQL)`, () => {
    const database = `llm_im_test_${randomBytes(6).toString('hex')}`;
    beforeAll(() => admin(`CREATE DATABASE ${database}`));
    afterAll(() => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    // Nested, so that the tests' own afterAll (closing the app) runs before the database is dropped.
    describe('on a fresh database', () =>
      fn({ name: 'PostgreSQL', overrides: () => ({ DATABASE_URL: postgresDatabaseUrl(database) }) }));
  });
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
