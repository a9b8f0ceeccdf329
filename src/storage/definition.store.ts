import type { DatabaseService } from './database.service';
import type { Executor } from './database.types';

/** The tables that hold user-defined definitions (same shape: id, name, timestamps, JSON document). */
export type DefinitionTableName = 'escalation_policies' | 'playbooks' | 'notification_channels';

export interface Definition {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
}

/**
 * Stores definitions (escalation policies, playbooks, notification channels) as JSON documents, oldest first.
 * Each feature's repository wraps one of these for its table.
 */
export class DefinitionStore<T extends Definition> {
  constructor(
    private readonly database: DatabaseService,
    private readonly table: DefinitionTableName,
  ) {}

  async list(executor: Executor = this.database.db): Promise<T[]> {
    const rows = await executor
      .selectFrom(this.table)
      .select('document')
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map((r) => JSON.parse(r.document) as T);
  }

  async get(id: string, executor: Executor = this.database.db): Promise<T | undefined> {
    const row = await executor
      .selectFrom(this.table)
      .select('document')
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.document) as T) : undefined;
  }

  /** The id of the definition with this name, if any. */
  async idByName(name: string, executor: Executor = this.database.db): Promise<string | undefined> {
    const row = await executor
      .selectFrom(this.table)
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst();
    return row?.id;
  }

  async insert(definition: T, executor: Executor = this.database.db): Promise<void> {
    await executor.insertInto(this.table).values(toRow(definition)).execute();
  }

  async update(definition: T, executor: Executor = this.database.db): Promise<boolean> {
    const { id, ...columns } = toRow(definition);
    const result = await executor
      .updateTable(this.table)
      .set(columns)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(id: string, executor: Executor = this.database.db): Promise<boolean> {
    const result = await executor.deleteFrom(this.table).where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

function toRow(definition: Definition) {
  return {
    id: definition.id,
    name: definition.name,
    created_at: definition.created_at,
    updated_at: definition.updated_at,
    document: JSON.stringify(definition),
  };
}
