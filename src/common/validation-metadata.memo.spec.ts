import { IsInt, IsString, MetadataStorage, Min, getMetadataStorage, validate } from 'class-validator';
import { memoizeValidationMetadata } from './validation-metadata.memo';

class Base {
  @IsString()
  name!: string;
}

class Derived extends Base {
  @IsInt()
  count!: number;
}

const storage = getMetadataStorage();
const rulesOf = (target: new () => object) =>
  storage
    .getTargetValidationMetadatas(target, '', false, false)
    .map((m) => `${m.propertyName}:${m.name ?? m.type}`)
    .sort();

describe('memoizeValidationMetadata', () => {
  beforeAll(() => memoizeValidationMetadata());

  it('answers the same rules as class-validator, inherited ones included, from memory on the second call', () => {
    expect(rulesOf(Derived)).toEqual(['count:isInt', 'name:isString']);
    const first = storage.getTargetValidationMetadatas(Derived, '', false, false);
    expect(storage.getTargetValidationMetadatas(Derived, '', false, false)).toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
    expect(rulesOf(Base)).toEqual(['name:isString']);
  });

  it('keeps lookups with different options apart', () => {
    const plain = storage.getTargetValidationMetadatas(Derived, '', false, false);
    const grouped = storage.getTargetValidationMetadatas(Derived, '', false, false, ['admin']);
    expect(grouped).not.toBe(plain);
    expect(grouped).toHaveLength(0);
  });

  it('forgets what it knew when a rule is registered after the first lookup', async () => {
    expect(rulesOf(Derived)).not.toContain('count:min');
    Min(1)(Derived.prototype, 'count');
    expect(rulesOf(Derived)).toContain('count:min');

    const invalid = Object.assign(new Derived(), { name: 'x', count: 0 });
    const errors = await validate(invalid);
    expect(errors.map((e) => Object.keys(e.constraints ?? {}))).toEqual([['min']]);
  });

  it('is applied once however often it is called', () => {
    const lookUp = storage.getTargetValidationMetadatas;
    memoizeValidationMetadata();
    expect(storage.getTargetValidationMetadatas).toBe(lookUp);
  });
});

/**
 * What the memo takes for granted in class-validator. An upgrade that changes any of it fails here, before it can
 * make validation answer from a stale memo (or skip the memo silently): re-read MetadataStorage and
 * ValidationExecutor of the new version, then adjust the memo and this list together.
 */
describe('memoizeValidationMetadata: the class-validator surface it patches', () => {
  const prototype = MetadataStorage.prototype as unknown as Record<string, unknown>;

  it('patches methods that exist with the arity it forwards', () => {
    const arity = (name: string) => (prototype[name] as (...args: unknown[]) => unknown).length;
    expect({
      getTargetValidationMetadatas: arity('getTargetValidationMetadatas'),
      groupByPropertyName: arity('groupByPropertyName'),
      addValidationMetadata: arity('addValidationMetadata'),
      addConstraintMetadata: arity('addConstraintMetadata'),
    }).toEqual({
      getTargetValidationMetadatas: 5, // (target, schema, always, strictGroups, groups): all part of the memo key
      groupByPropertyName: 1,
      addValidationMetadata: 1,
      addConstraintMetadata: 1,
    });
  });

  it('sees no other method on the storage (a new one may write rules without dropping the memo)', () => {
    expect(Object.getOwnPropertyNames(MetadataStorage.prototype).sort()).toEqual([
      'addConstraintMetadata',
      'addValidationMetadata',
      'addValidationSchema', // registers through addValidationMetadata (tested below)
      'constructor',
      'getTargetValidationMetadatas',
      'getTargetValidatorConstraints',
      'groupByPropertyName',
      'hasValidationMetaData',
    ]);
  });

  it('reads rules from two maps that only the patched add methods write', () => {
    const fresh = new MetadataStorage();
    const state = fresh as unknown as Record<string, unknown>;
    expect(Object.keys(state).sort()).toEqual(['constraintMetadatas', 'validationMetadatas']);
    expect(state.validationMetadatas).toBeInstanceOf(Map);
    expect(state.constraintMetadatas).toBeInstanceOf(Map);
  });

  it('registers a validation schema through addValidationMetadata, so schemas drop the memo too', () => {
    const fresh = new MetadataStorage();
    const add = jest.spyOn(fresh, 'addValidationMetadata');
    fresh.addValidationSchema({ name: 'schema', properties: { name: [{ type: 'isString' }] } });
    expect(add).toHaveBeenCalledTimes(1);
  });

  it('is the process-wide storage that validate() looks rules up in, through the instance, at each call', async () => {
    memoizeValidationMetadata();
    expect(getMetadataStorage()).toBe(
      (globalThis as { classValidatorMetadataStorage?: unknown }).classValidatorMetadataStorage,
    );
    const lookUp = jest.spyOn(storage, 'getTargetValidationMetadatas');
    const group = jest.spyOn(storage, 'groupByPropertyName');
    try {
      await validate(Object.assign(new Derived(), { name: 'x', count: 2 }));
      expect(lookUp).toHaveBeenCalledWith(Derived, undefined, false, false, undefined);
      expect(group).toHaveBeenCalledWith(lookUp.mock.results[0].value);
    } finally {
      lookUp.mockRestore();
      group.mockRestore();
    }
  });

  it('gets back shared results that validate() does not change (the memo hands out the same arrays)', async () => {
    memoizeValidationMetadata();
    const rules = storage.getTargetValidationMetadatas(Derived, '', false, false);
    const grouped = storage.groupByPropertyName(rules);
    const before = {
      rules: [...rules],
      grouped: Object.fromEntries(Object.entries(grouped).map(([k, v]) => [k, [...v]])),
    };
    await validate(Object.assign(new Derived(), { name: 1, count: 'x', extra: true }), {
      whitelist: true,
      forbidNonWhitelisted: true,
    });
    await validate(Object.assign(new Derived(), { name: 'x', count: 2, extra: true }), { whitelist: true });
    expect({ rules, grouped }).toEqual(before);
  });
});
