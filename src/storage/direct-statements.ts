import type { QueryResult, SqliteDatabase } from 'kysely';

/**
 * SQLite only: runs a statement straight on the one connection, for the statements of a transaction in progress.
 * Kysely's path (executor, connection provider, driver, result plugins: several promises per query) cost 3–4 µs
 * per statement over better-sqlite3's own (a tight loop on this machine), about eight statements per alert stored.
 *
 * Safe only inside a transaction: Kysely's SQLite driver holds its single connection for the whole transaction,
 * so nothing else runs on it until commit, and a statement run here is in that transaction exactly as if Kysely
 * had run it. A statement outside a transaction must go through Kysely, which waits for the connection.
 */
export interface DirectStatements {
  /** Prepares once; the statement is then run as often as needed (better-sqlite3 statements are reusable). */
  prepare(sql: string): DirectStatement;
}

export interface DirectStatement {
  /** The statement's result as Kysely's SQLite driver gives it; throws what better-sqlite3 throws. */
  run<Row>(parameters: readonly unknown[]): QueryResult<Row>;
}

export function directStatements(database: SqliteDatabase): DirectStatements {
  return {
    prepare(sql: string): DirectStatement {
      const statement = database.prepare(sql);
      return {
        run<Row>(parameters: readonly unknown[]): QueryResult<Row> {
          if (statement.reader) return { rows: statement.all(parameters) as Row[] };
          const { changes, lastInsertRowid } = statement.run(parameters);
          return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
        },
      };
    },
  };
}
