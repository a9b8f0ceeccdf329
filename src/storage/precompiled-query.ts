import { CompiledQuery, type QueryResult } from 'kysely';
import type { Executor } from './database.types';
import type { DirectStatement, DirectStatements } from './direct-statements';

/** Prefix of the placeholder values a query is built with; no real value starts with a NUL character. */
const SLOT = '\u0000slot:';

type Slot<Name> = { name: Name } | { constant: unknown };

/**
 * A query of fixed shape built and compiled to SQL once, then run with new parameters. Kysely builds an operation
 * tree and compiles it on every execution, which on the alert path cost more CPU than SQLite running the statement.
 *
 * `build` receives `slot(name)`, a placeholder to use wherever a value will be bound (it is a string, so it fits
 * any text column), and returns the compiled query; every other value in it (such as a constant `in` list) is kept
 * as compiled. `run` binds the named values in the positions Kysely gave their placeholders.
 */
export class PrecompiledQuery<Row, Name extends string> {
  /** Prepared on the first run in a transaction (SQLite), then kept: no statement-cache lookup per run. */
  private directStatement: DirectStatement | null = null;

  private constructor(
    private readonly sql: string,
    private readonly slots: readonly Slot<Name>[],
    private readonly direct: DirectStatements | null,
  ) {}

  /**
   * `direct` (SQLite's, DatabaseService.directStatements) runs the statement without Kysely when the executor is a
   * transaction; null (PostgreSQL) always goes through the executor.
   */
  static build<Row, Name extends string>(
    build: (slot: (name: Name) => string) => CompiledQuery<Row>,
    direct: DirectStatements | null = null,
  ): PrecompiledQuery<Row, Name> {
    const compiled = build((name) => `${SLOT}${name}`);
    const slots = compiled.parameters.map((value): Slot<Name> =>
      typeof value === 'string' && value.startsWith(SLOT)
        ? { name: value.slice(SLOT.length) as Name }
        : { constant: value },
    );
    return new PrecompiledQuery<Row, Name>(compiled.sql, slots, direct);
  }

  run(executor: Executor, values: Readonly<Record<Name, unknown>>): Promise<QueryResult<Row>> {
    const parameters = this.slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant));
    return this.execute(executor, parameters);
  }

  /** The slots' names in the order of the statement's parameters (null where a constant was compiled in). */
  get parameterNames(): (Name | null)[] {
    return this.slots.map((slot) => ('name' in slot ? slot.name : null));
  }

  /**
   * Runs with the parameters given in order, one per parameter: for statements whose order is known and checked
   * once against `parameterNames` (a multi-row insert), where a record of named values would cost more to build
   * than the statement costs to run.
   */
  runInOrder(executor: Executor, parameters: unknown[]): Promise<QueryResult<Row>> {
    if (parameters.length !== this.slots.length) {
      throw new Error(`expected ${this.slots.length} parameters, got ${parameters.length}`);
    }
    return this.execute(executor, parameters);
  }

  private execute(executor: Executor, parameters: unknown[]): Promise<QueryResult<Row>> {
    if (this.direct === null || !executor.isTransaction) {
      return executor.executeQuery<Row>(CompiledQuery.raw(this.sql, parameters));
    }
    try {
      this.directStatement ??= this.direct.prepare(this.sql);
      return Promise.resolve(this.directStatement.run<Row>(parameters));
    } catch (error) {
      // As through Kysely: a failed statement is a rejected promise, never a throw from run().
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/** A row of placeholders, one per column, named after the column. */
export function slotRow<Name extends string>(
  columns: readonly Name[],
  slot: (name: Name) => string,
): Record<Name, string> {
  return Object.fromEntries(columns.map((column) => [column, slot(column)])) as Record<Name, string>;
}
