import { getMetadataStorage } from 'class-validator';

type MetadataStorage = ReturnType<typeof getMetadataStorage>;
type ValidationMetadata = ReturnType<MetadataStorage['getTargetValidationMetadatas']>[number];
type GroupedMetadata = ReturnType<MetadataStorage['groupByPropertyName']>;

const memoized = new WeakSet<MetadataStorage>();

/**
 * Memoizes class-validator's lookup of a class's rules. class-validator answers it anew on every `validate()`: it
 * filters the class's rules and tests `instanceof` against every validated class of the process (inheritance), and
 * Nest's ValidationPipe asks a second time per request (nested binary values). That cost about 10 µs per alert
 * received, for an answer that only changes when a rule is registered (a decorator runs, when a class is
 * defined), so the memo is dropped whenever one is. Results are shared, never copied: class-validator and Nest
 * only read them.
 *
 * Applies to the process-wide storage (class-validator keeps it on the global object); idempotent.
 */
export function memoizeValidationMetadata(storage: MetadataStorage = getMetadataStorage()): void {
  if (memoized.has(storage)) return;
  memoized.add(storage);

  const lookUp = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  const addValidation = storage.addValidationMetadata.bind(storage);
  const addConstraint = storage.addConstraintMetadata.bind(storage);
  let lookups = new Map<unknown, Map<string, ValidationMetadata[]>>();
  let groupings = new WeakMap<ValidationMetadata[], GroupedMetadata>();
  const forget = (): void => {
    lookups = new Map();
    groupings = new WeakMap();
  };

  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    // `schema` is only ever compared with a rule's target, so null and undefined answer alike.
    const key = `${schema ?? ''}\u0000${always}\u0000${strictGroups}\u0000${groups === undefined ? '-' : JSON.stringify(groups)}`;
    let byOptions = lookups.get(target);
    if (byOptions === undefined) lookups.set(target, (byOptions = new Map<string, ValidationMetadata[]>()));
    let metadata = byOptions.get(key);
    if (metadata === undefined) {
      byOptions.set(key, (metadata = lookUp(target, schema, always, strictGroups, groups)));
    }
    return metadata;
  };
  storage.groupByPropertyName = (metadata) => {
    let grouped = groupings.get(metadata);
    if (grouped === undefined) groupings.set(metadata, (grouped = group(metadata)));
    return grouped;
  };
  storage.addValidationMetadata = (metadata) => {
    forget();
    addValidation(metadata);
  };
  storage.addConstraintMetadata = (metadata) => {
    forget();
    addConstraint(metadata);
  };
}
