import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect } from 'kysely';
import { Pool } from 'pg';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { Database, Db, SqlDialectName } from './database.types';
import { InCodeMigrationProvider, pingDatabase } from './migrations';
import { DirectStatements, directStatements } from './direct-statements';
import { withStatementCache } from './statement-cache';
import { WalCheckpointer } from './wal-checkpointer';

/** WAL frames (pages) after which a commit checkpoints by itself: only if the checkpointer worker falls behind. */
const WRITER_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Owns the Kysely instance: opens the embedded SQLite file (`file:<path>`) or a PostgreSQL pool
 * (`postgres://...`), migrates it at start and closes it last at shutdown.
 */
@Injectable()
export class DatabaseService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(DatabaseService.name);
  readonly db: Db;
  readonly dialect: SqlDialectName;
  /** SQLite: a transaction's statements without Kysely (see DirectStatements); null on PostgreSQL. */
  readonly directStatements: DirectStatements | null = null;
  private closed = false;
  private readonly checkpointer: WalCheckpointer | null = null;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const url = config.database.url;
    if (url.startsWith('file:')) {
      this.dialect = 'sqlite';
      const path = resolve(url.slice('file:'.length));
      mkdirSync(dirname(path), { recursive: true });
      const sqlite = new BetterSqlite3(path);
      // WAL lets readers proceed during writes; NORMAL sync in WAL mode survives a process crash.
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      sqlite.pragma('busy_timeout = 5000');
      sqlite.pragma('foreign_keys = ON');
      // Statement journals (a savepoint per unit of work in a group commit) in memory rather than a temp file
      // created and deleted per transaction: about 80 µs less per alert stored.
      sqlite.pragma('temp_store = MEMORY');
      sqlite.pragma(`wal_autocheckpoint = ${WRITER_AUTOCHECKPOINT_PAGES}`);
      this.checkpointer = new WalCheckpointer(path);
      const cached = withStatementCache(sqlite);
      this.directStatements = directStatements(cached);
      this.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached }) });
    } else {
      this.dialect = 'postgres';
      const pool = new Pool({ connectionString: url, max: 10 });
      // An idle connection the server drops (a PostgreSQL restart or failover, an administrator's terminate) is
      // reported on the pool; without a listener that event would crash the process. The pool replaces the
      // connection on the next query.
      pool.on('error', (error) =>
        this.logger.warn(`PostgreSQL dropped an idle connection: ${error.message}`),
      );
      this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    }
  }

  async onModuleInit(): Promise<void> {
    const migrator = new Migrator({
      db: this.db,
      provider: new InCodeMigrationProvider(this.dialect),
      // Migrations are written side by side and can be released out of name order (0007 before 0006): a store
      // already migrated to a later name still takes an earlier one added afterwards instead of refusing to start.
      // Each migration touches its own tables, so their order does not matter.
      allowUnorderedMigrations: true,
    });
    const { error, results } = await migrator.migrateToLatest();
    for (const result of results ?? []) {
      if (result.status === 'Error') this.logger.error(`migration ${result.migrationName} failed`);
      else this.logger.log(`migration ${result.migrationName} applied`);
    }
    if (error) throw error instanceof Error ? error : new Error(`migration failed: ${JSON.stringify(error)}`);
  }

  ping(): Promise<void> {
    return pingDatabase(this.db);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.checkpointer?.stop();
    await this.db.destroy();
  }
}
