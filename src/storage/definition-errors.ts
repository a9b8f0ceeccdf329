/**
 * What can go wrong with a user definition (escalation policy, playbook, notification channel), in storage terms.
 * Storage knows nothing of HTTP: ApiExceptionFilter renders these as the contract's 404 and 409 CONFLICT.
 */
export abstract class DefinitionError extends Error {
  protected constructor(
    /** What is defined, e.g. "Playbook". */
    readonly kind: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** No definition of this kind has the id. */
export class DefinitionNotFoundError extends DefinitionError {
  constructor(
    kind: string,
    readonly id: string,
  ) {
    super(kind, `${kind} ${id} not found`);
  }
}

/** Another definition of this kind already has the name (names are unique per kind). */
export class DefinitionNameTakenError extends DefinitionError {
  constructor(
    kind: string,
    readonly definitionName: string,
  ) {
    super(kind, `${kind} named "${definitionName}" already exists`);
  }
}

/**
 * Whether a write failed on a unique index (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE): two requests that
 * both found a name free raced to store it, and the database kept one.
 */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
