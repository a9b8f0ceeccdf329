import { IsInt, IsString, Min, getMetadataStorage, validate } from 'class-validator';
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
