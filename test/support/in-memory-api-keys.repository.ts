import type { ApiKeyRecord } from '../../src/auth/api-key';
import type { ApiKeysRepository } from '../../src/auth/api-keys.repository';

/** ApiKeysRepository in memory, with the table's unique indexes (name, key hash) for unit specs. */
export class InMemoryApiKeysRepository implements Pick<ApiKeysRepository, keyof ApiKeysRepository> {
  readonly rows: ApiKeyRecord[] = [];

  constructor(initial: ApiKeyRecord[] = []) {
    this.rows.push(...initial.map((r) => ({ ...r })));
  }

  list(): Promise<ApiKeyRecord[]> {
    return Promise.resolve(this.rows.map((r) => ({ ...r })));
  }

  anyStored(): Promise<boolean> {
    return Promise.resolve(this.rows.length > 0);
  }

  /** One process: nothing to exclude. */
  exclusively<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  idByName(name: string): Promise<string | undefined> {
    return Promise.resolve(this.rows.find((r) => r.name === name)?.id);
  }

  insert(record: ApiKeyRecord): Promise<void> {
    if (this.rows.some((r) => r.name === record.name || r.keyHash === record.keyHash)) {
      return Promise.reject(
        Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
      );
    }
    this.rows.push({ ...record });
    return Promise.resolve();
  }

  revoke(id: string, revokedAt: string): Promise<boolean> {
    const row = this.rows.find((r) => r.id === id && r.revokedAt === null);
    if (row !== undefined) row.revokedAt = revokedAt;
    return Promise.resolve(row !== undefined);
  }
}

/** Cast for constructors that take the real repository. */
export const asRepository = (fake: InMemoryApiKeysRepository): ApiKeysRepository =>
  fake as unknown as ApiKeysRepository;
