import { Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import { DatabaseService } from '../storage/database.service';
import type { ApiKeysTable } from '../storage/database.types';
import type { ApiKeyRecord } from './api-key';
import { isScope } from './scopes';

/**
 * The PostgreSQL advisory lock key of the first-credential bootstrap (an arbitrary constant that nothing else
 * locks): nodes starting together on an empty database make one admin key, not one each.
 */
export const BOOTSTRAP_LOCK_KEY = 7212004017550923603n;

/** The `api_keys` table. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly database: DatabaseService) {}

  /** Every key, revoked ones included, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.database.db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map(fromRow);
  }

  /** Whether any key is stored (revoked and expired ones included), read from the database, not a cache. */
  async anyStored(): Promise<boolean> {
    const row = await this.database.db.selectFrom('api_keys').select('id').limit(1).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Runs `work` while no other node runs its own: on PostgreSQL under the session advisory lock BOOTSTRAP_LOCK_KEY,
   * waited for on a connection held meanwhile (released after `work`, or by the server if the node dies). SQLite:
   * one process serves the file.
   */
  async exclusively<T>(work: () => Promise<T>): Promise<T> {
    if (this.database.dialect !== 'postgres') return work();
    return this.database.db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(${BOOTSTRAP_LOCK_KEY.toString()}::bigint)`.execute(connection);
      try {
        return await work();
      } finally {
        await sql`select pg_advisory_unlock(${BOOTSTRAP_LOCK_KEY.toString()}::bigint)`.execute(connection);
      }
    });
  }

  async idByName(name: string): Promise<string | undefined> {
    const row = await this.database.db
      .selectFrom('api_keys')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.id;
  }

  async insert(record: ApiKeyRecord): Promise<void> {
    await this.database.db.insertInto('api_keys').values(toRow(record)).execute();
  }

  /** Sets revoked_at unless already set; false when no key has the id or it was already revoked. */
  async revoke(id: string, revokedAt: string): Promise<boolean> {
    const result = await this.database.db
      .updateTable('api_keys')
      .set({ revoked_at: revokedAt })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

function toRow(record: ApiKeyRecord): ApiKeysTable {
  return {
    id: record.id,
    name: record.name,
    key_hash: record.keyHash,
    scopes: JSON.stringify(record.scopes),
    constraint_filter: record.constraint === null ? null : JSON.stringify(record.constraint),
    expires_at: record.expiresAt,
    created_at: record.createdAt,
    revoked_at: record.revokedAt,
  };
}

function fromRow(row: ApiKeysTable): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    keyHash: row.key_hash,
    // A scope that a later version no longer knows grants nothing.
    scopes: (JSON.parse(row.scopes) as unknown[]).filter(isScope),
    constraint:
      row.constraint_filter === null ? null : (JSON.parse(row.constraint_filter) as Record<string, unknown>),
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
