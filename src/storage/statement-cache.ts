import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Kysely's SQLite driver prepares every query anew; preparing (parsing and planning the SQL) costs more than
 * running our small statements. This wrapper keeps the most recently used prepared statements by SQL text.
 * better-sqlite3 runs statements synchronously, so reusing one statement across queries is safe.
 */
export function withStatementCache(database: SqliteDatabase, capacity = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached) {
        // Refresh its position: Map iteration order is insertion order, so the first key is the least recent.
        cache.delete(sql);
        cache.set(sql, cached);
        return cached;
      }
      const statement = database.prepare(sql);
      cache.set(sql, statement);
      if (cache.size > capacity) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return statement;
    },
  };
}
