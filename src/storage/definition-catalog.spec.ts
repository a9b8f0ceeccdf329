import { ManualClock } from '../../test/support/manual-clock';
import { ConflictError, NotFoundError } from '../common/api-error';
import { toErrorBody } from '../common/api-exception.filter';
import { DefinitionCatalog } from './definition-catalog';
import { DefinitionNameTakenError, DefinitionNotFoundError } from './definition-errors';
import type { Definition, DefinitionStore } from './definition.store';

type Thing = Definition & { size: number };
interface ThingDto {
  name: string;
  size: number;
}

class ThingCatalog extends DefinitionCatalog<Thing, ThingDto> {
  constructor(store: DefinitionStore<Thing>, clock: ManualClock) {
    super(
      store,
      'Thing',
      (id, dto, createdAt, updatedAt) => ({
        id,
        name: dto.name,
        size: dto.size,
        created_at: createdAt,
        updated_at: updatedAt,
      }),
      clock,
    );
  }
}

/** A DefinitionStore in memory. */
function memoryStore(): DefinitionStore<Thing> {
  const rows = new Map<string, Thing>();
  const store = {
    list: () => Promise.resolve([...rows.values()]),
    get: (id: string) => Promise.resolve(rows.get(id)),
    idByName: (name: string) => Promise.resolve([...rows.values()].find((r) => r.name === name)?.id),
    insert: (t: Thing) => Promise.resolve(void rows.set(t.id, t)),
    update: (t: Thing) => Promise.resolve(rows.has(t.id) && rows.set(t.id, t) !== undefined),
    delete: (id: string) => Promise.resolve(rows.delete(id)),
  };
  return store as unknown as DefinitionStore<Thing>;
}

describe('DefinitionCatalog', () => {
  const missing = '00000000-0000-4000-8000-000000000000';

  it('stamps created_at and updated_at from the clock', async () => {
    const clock = new ManualClock('2026-03-01T10:00:00.000Z');
    const catalog = new ThingCatalog(memoryStore(), clock);
    const created = await catalog.create({ name: 'a', size: 1 });
    expect(created).toMatchObject({
      created_at: '2026-03-01T10:00:00.000Z',
      updated_at: '2026-03-01T10:00:00.000Z',
    });
    await clock.advance(60_000);
    const replaced = await catalog.replace(created.id, { name: 'a', size: 2 });
    expect(replaced).toMatchObject({
      created_at: '2026-03-01T10:00:00.000Z',
      updated_at: '2026-03-01T10:01:00.000Z',
    });
  });

  it('throws storage errors, not HTTP ones, for an unknown id and a taken name', async () => {
    const catalog = new ThingCatalog(memoryStore(), new ManualClock());
    await catalog.create({ name: 'taken', size: 1 });
    await expect(catalog.get(missing)).rejects.toThrow(DefinitionNotFoundError);
    await expect(catalog.delete(missing)).rejects.toThrow(DefinitionNotFoundError);
    await expect(catalog.replace(missing, { name: 'x', size: 1 })).rejects.toThrow(DefinitionNotFoundError);
    await expect(catalog.create({ name: 'taken', size: 2 })).rejects.toThrow(DefinitionNameTakenError);
  });

  it.each([
    [
      'PostgreSQL',
      Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
    ],
    [
      'SQLite',
      Object.assign(new Error('UNIQUE constraint failed: things.name'), { code: 'SQLITE_CONSTRAINT_UNIQUE' }),
    ],
  ])(
    'turns a unique violation of %s on a racing write into DefinitionNameTakenError',
    async (_store, violation) => {
      const store = memoryStore();
      const catalog = new ThingCatalog(store, new ManualClock());
      const existing = await catalog.create({ name: 'a', size: 1 });
      // The name looked free when checked; another request stored it before this write.
      store.insert = () => Promise.reject(violation);
      store.update = () => Promise.reject(violation);
      await expect(catalog.create({ name: 'raced', size: 1 })).rejects.toThrow(
        new DefinitionNameTakenError('Thing', 'raced'),
      );
      await expect(catalog.replace(existing.id, { name: 'raced', size: 1 })).rejects.toThrow(
        DefinitionNameTakenError,
      );
    },
  );

  it('lets other storage failures through', async () => {
    const store = memoryStore();
    const catalog = new ThingCatalog(store, new ManualClock());
    store.insert = () => Promise.reject(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' }));
    await expect(catalog.create({ name: 'a', size: 1 })).rejects.toThrow('disk I/O error');
  });

  it('answers those errors over HTTP exactly as NotFoundError and ConflictError do', () => {
    expect(JSON.stringify(toErrorBody(new DefinitionNotFoundError('Thing', missing)))).toBe(
      JSON.stringify(toErrorBody(new NotFoundError(`Thing ${missing}`))),
    );
    expect(JSON.stringify(toErrorBody(new DefinitionNameTakenError('Thing', 'taken')))).toBe(
      JSON.stringify(toErrorBody(new ConflictError('Thing named "taken" already exists'))),
    );
    expect(toErrorBody(new DefinitionNameTakenError('Thing', 'taken'))).toEqual({
      error: { code: 'CONFLICT', message: 'Thing named "taken" already exists', status: 409 },
    });
    expect(toErrorBody(new DefinitionNotFoundError('Thing', missing))).toEqual({
      error: { code: 'NOT_FOUND', message: `Thing ${missing} not found`, status: 404 },
    });
  });
});
