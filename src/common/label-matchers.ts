import { RE2JS } from 're2js';
import { ValidationArguments, ValidationOptions, registerDecorator } from 'class-validator';

/**
 * Label matchers (contract section 8): `[{"name", "op", "value"}]` with Alertmanager's semantics. `=` and `!=`
 * compare the label's value; `=~` and `!~` match it against a regular expression anchored at both ends; a missing
 * label reads as the empty string; every matcher must hold. The one implementation behind subscription filters,
 * credential constraints, `GET /v1/stream` and silences.
 *
 * The regular expressions come from untrusted clients and run against every event for every subscriber, so they
 * are RE2 (re2js): no backreferences or lookaround, and matching time linear in the value's length whatever the
 * pattern. Linear is not enough on its own: the constant is the size of the compiled program (a 1,017-character
 * pattern such as `a{2,1000}` x 113 compiles to 225,000 instructions in 0.9 s and takes 11 s to match 1,000
 * characters), so the regexes of one list may compile to at most MATCHER_LIMITS.programSize instructions in all,
 * and a pattern whose estimated size is far beyond that is refused before it is compiled.
 */
// The matcher's wire shape is defined once, in the protocol package.
import { MATCH_OPERATORS, type LabelMatcher, type MatchOperator } from '@llm-incident-manager/protocol';

export { MATCH_OPERATORS };
export type { MatchOperator, LabelMatcher };

export const MATCHER_LIMITS = {
  /** Matchers in one list (a filter, a constraint, a silence). */
  matchers: 64,
  /** A label name: the bound of a label key anywhere in the API. */
  name: 128,
  /** A value or a regular expression (contract section 8: a regex over 1,024 characters is refused). */
  value: 1024,
  /**
   * Instructions the regexes of one list compile to, in all (a regex without metacharacters is compared as text and
   * counts nothing). Real patterns are far below it (`prod.*` is 8, an alternation of 100 service names 414, any
   * 1,024 characters without counted repetition about 1,030); at the bound a match of a 1,024-character value costs
   * up to about 50 ms in the worst case (`a{1,250}` four times against 1,024 `a`s), against 0.1 µs to 1 µs for
   * ordinary patterns and values.
   */
  programSize: 2048,
} as const;

const MATCHER_KEYS: readonly string[] = ['name', 'op', 'value'];

/** Compiled regexes by pattern, shared by every list that uses the same pattern (bounded; oldest evicted first). */
const REGEX_CACHE_SIZE = 1024;
const regexCache = new Map<string, CompiledRegex>();

interface CompiledRegex {
  /** null: the pattern is a literal (no metacharacter), compared as a string. */
  readonly regex: SharedRegex | null;
  readonly programSize: number;
}

/**
 * A compiled pattern shared by every list that uses it, remembering its last answer: in the fan-out the same label
 * value of one event is tested against the same pattern by every distinct filter that uses it, and only the first
 * runs the engine (0.3 µs to 1 µs for short values; a string comparison after that).
 */
class SharedRegex {
  private lastValue: string | undefined;
  private lastResult = false;

  constructor(private readonly regex: RE2JS) {}

  matches(value: string): boolean {
    if (value === this.lastValue) return this.lastResult;
    const result = this.regex.testExact(value);
    this.lastValue = value;
    this.lastResult = result;
    return result;
  }
}

const enum Kind {
  Equal,
  NotEqual,
  Regex,
  NotRegex,
}

interface CompiledMatcher {
  readonly name: string;
  readonly kind: Kind;
  readonly value: string;
  readonly regex: SharedRegex | null;
}

/** Thrown by LabelMatchers.compile for a list that parseLabelMatchers would refuse. */
export class InvalidLabelMatchers extends Error {}

/**
 * A compiled list of matchers, all of which must hold. Equality matchers are tried before regexes (cheaper first);
 * the list is deduplicated. Immutable.
 */
export class LabelMatchers {
  static readonly NONE = new LabelMatchers([], [], 0);

  private constructor(
    /** The matchers as sent (echo, storage). */
    readonly list: readonly LabelMatcher[],
    private readonly compiled: readonly CompiledMatcher[],
    /** Instructions of the regexes, in all. */
    readonly programSize: number,
  ) {}

  /** Compiles a list; throws InvalidLabelMatchers when parseLabelMatchers would refuse it. */
  static compile(list: readonly LabelMatcher[], path = 'label_matchers'): LabelMatchers {
    const parsed = parseLabelMatchers(list, path);
    if ('problem' in parsed) throw new InvalidLabelMatchers(parsed.problem);
    return parsed.matchers;
  }

  get isEmpty(): boolean {
    return this.compiled.length === 0;
  }

  /**
   * A canonical text of the list: equal for lists that match the same labels by construction (same matchers in any
   * order, duplicates ignored). Part of a subscription filter's group key.
   */
  get key(): string {
    return (this.canonicalKey ??= JSON.stringify(
      this.compiled.map((m) => [m.name, m.kind, m.value]).sort(compareTuples),
    ));
  }
  private canonicalKey: string | undefined;

  /** Both lists: matches exactly what both match. */
  and(other: LabelMatchers): LabelMatchers {
    if (other.isEmpty) return this;
    if (this.isEmpty) return other;
    return LabelMatchers.of(
      [...this.list, ...other.list],
      [...this.compiled, ...other.compiled],
      this.programSize + other.programSize,
    );
  }

  /** Whether every matcher holds for these labels (a missing label reads as ''). The fan-out's hot path. */
  matches(labels: Readonly<Record<string, string>>): boolean {
    const compiled = this.compiled;
    for (let i = 0; i < compiled.length; i++) {
      const m = compiled[i];
      const value = Object.hasOwn(labels, m.name) ? labels[m.name] : '';
      if (!matchOne(m, value)) return false;
    }
    return true;
  }

  /** Whether every matcher holds for a value-less label set: the list would match everything missing its labels. */
  matchesEmpty(): boolean {
    return this.compiled.every((m) => matchOne(m, ''));
  }

  private static of(
    list: readonly LabelMatcher[],
    compiled: readonly CompiledMatcher[],
    programSize: number,
  ): LabelMatchers {
    const seen = new Set<string>();
    const unique = compiled.filter((m) => {
      const id = JSON.stringify([m.name, m.kind, m.value]);
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    // Equality (a string comparison) before regexes: a list fails as early and as cheaply as it can.
    unique.sort((a, b) => Number(a.regex !== null) - Number(b.regex !== null));
    return new LabelMatchers(list, unique, programSize);
  }

  /** Used by parseLabelMatchers only. */
  static fromParsed(
    list: readonly LabelMatcher[],
    compiled: readonly CompiledMatcher[],
    programSize: number,
  ): LabelMatchers {
    return compiled.length === 0 ? LabelMatchers.NONE : LabelMatchers.of(list, compiled, programSize);
  }
}

function matchOne(m: CompiledMatcher, value: string): boolean {
  switch (m.kind) {
    case Kind.Equal:
      return value === m.value;
    case Kind.NotEqual:
      return value !== m.value;
    case Kind.Regex:
      return m.regex === null ? value === m.value : m.regex.matches(value);
    case Kind.NotRegex:
      return m.regex === null ? value !== m.value : !m.regex.matches(value);
  }
}

function compareTuples(a: readonly unknown[], b: readonly unknown[]): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Parses an untrusted list of matchers: an array of at most 64 objects with exactly `name` (1..128 characters),
 * `op` (`=`, `!=`, `=~`, `!~`) and `value` (a string of at most 1,024 characters; for a regex op, a valid RE2
 * expression), at least `minCount` of them, whose regexes compile to at most MATCHER_LIMITS.programSize
 * instructions in all. Returns the compiled list, or the first problem as a message naming where it is (`path[2].op`).
 */
export function parseLabelMatchers(
  value: unknown,
  path: string,
  minCount = 0,
): { matchers: LabelMatchers } | { problem: string } {
  const problem = (message: string): { problem: string } => ({ problem: message });
  if (!Array.isArray(value)) return problem(`${path} must be an array of {name, op, value} matchers`);
  if (value.length > MATCHER_LIMITS.matchers) {
    return problem(`${path} must have at most ${MATCHER_LIMITS.matchers} matchers`);
  }
  if (value.length < minCount) return problem(`${path} must have at least ${minCount} matcher(s)`);
  const list: LabelMatcher[] = [];
  const compiled: CompiledMatcher[] = [];
  let programSize = 0;
  for (let i = 0; i < value.length; i++) {
    const at = `${path}[${i}]`;
    const item: unknown = value[i];
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      return problem(`${at} must be an object {name, op, value}`);
    }
    const record = item as Record<string, unknown>;
    const unknown = Object.keys(record).find((key) => !MATCHER_KEYS.includes(key));
    if (unknown !== undefined) return problem(`${at} has the unknown key ${JSON.stringify(unknown)}`);
    const { name, op, value: text } = record;
    if (name === undefined) return problem(`${at}.name is required`);
    if (typeof name !== 'string' || name.length < 1 || name.length > MATCHER_LIMITS.name) {
      return problem(`${at}.name must be a string of 1..${MATCHER_LIMITS.name} characters`);
    }
    if (op === undefined) return problem(`${at}.op is required`);
    if (typeof op !== 'string' || !(MATCH_OPERATORS as readonly string[]).includes(op)) {
      return problem(`${at}.op must be one of ${MATCH_OPERATORS.join(', ')}`);
    }
    if (text === undefined) return problem(`${at}.value is required`);
    if (typeof text !== 'string' || text.length > MATCHER_LIMITS.value) {
      return problem(`${at}.value must be a string of at most ${MATCHER_LIMITS.value} characters`);
    }
    const operator = op as MatchOperator;
    let regex: SharedRegex | null = null;
    if (operator === '=~' || operator === '!~') {
      const compiledRegex = compileRegex(text, MATCHER_LIMITS.programSize - programSize);
      if (typeof compiledRegex === 'string') return problem(`${at}.value ${compiledRegex}`);
      programSize += compiledRegex.programSize;
      if (programSize > MATCHER_LIMITS.programSize) return problem(tooLarge(path, programSize));
      regex = compiledRegex.regex;
    }
    list.push({ name, op: operator, value: text });
    compiled.push({ name, kind: kindOf(operator), value: text, regex });
  }
  return { matchers: LabelMatchers.fromParsed(list, compiled, programSize) };
}

function kindOf(op: MatchOperator): Kind {
  switch (op) {
    case '=':
      return Kind.Equal;
    case '!=':
      return Kind.NotEqual;
    case '=~':
      return Kind.Regex;
    case '!~':
      return Kind.NotRegex;
  }
}

function tooLarge(path: string, size: number): string {
  return (
    `${path}: the regular expressions compile to ${size} instructions or more in all, more than ` +
    `${MATCHER_LIMITS.programSize} (large counted repetitions such as x{1,500} make them grow)`
  );
}

/**
 * The pattern compiled (or from the cache), or why it cannot be: `budget` is what is left of the list's program
 * size. A pattern whose estimate is beyond four times the whole budget is refused without compiling (compiling is
 * what costs: 0.9 s for the largest patterns), so what is compiled stays within a few thousand instructions.
 */
function compileRegex(pattern: string, budget: number): CompiledRegex | string {
  const cached = regexCache.get(pattern);
  if (cached !== undefined) return cached;
  if (estimateProgramSize(pattern) > 4 * MATCHER_LIMITS.programSize) {
    return `is a regular expression that would compile to far more than ${MATCHER_LIMITS.programSize} instructions (large counted repetitions such as x{1,500} make it grow)`;
  }
  let regex: RE2JS;
  try {
    regex = RE2JS.compile(pattern);
  } catch (error) {
    return `is not a valid regular expression (RE2 syntax): ${error instanceof Error ? error.message : String(error)}`;
  }
  const literal = RE2JS.quote(pattern) === pattern;
  const programSize = literal ? 0 : regex.programSize();
  // Not cached when over the budget on its own: the answer is an error, and no list may use it.
  if (programSize > budget) return { regex: null, programSize };
  const entry: CompiledRegex = { regex: literal ? null : new SharedRegex(regex), programSize };
  if (regexCache.size >= REGEX_CACHE_SIZE) {
    const oldest = regexCache.keys().next();
    if (oldest.done !== true) regexCache.delete(oldest.value);
  }
  regexCache.set(pattern, entry);
  return entry;
}

/**
 * An upper estimate of the instructions RE2 compiles a pattern to, from its text alone, without compiling: every
 * atom (a character, an escape, a class) is one, a group the sum of its branches plus two, `*`, `+` and `?` one
 * more than what they repeat, and `x{n,m}` what RE2 expands it to (n copies of x and m - n optional ones). It is
 * only used to refuse patterns that are far too large before paying for their compilation; the compiled program's
 * own size is what the budget counts. Overestimates are harmless (they are compiled and measured); an unbalanced
 * or otherwise invalid pattern gets some estimate and is refused by the compiler.
 */
export function estimateProgramSize(pattern: string): number {
  /** One group being read: its finished branches, the current branch, and the size of the branch's last atom. */
  interface Frame {
    done: number;
    branch: number;
    last: number;
  }
  const stack: Frame[] = [{ done: 0, branch: 0, last: 0 }];
  const top = (): Frame => stack[stack.length - 1];
  const atom = (size: number): void => {
    const frame = top();
    frame.branch += size;
    frame.last = size;
  };
  const repeat = (size: number): void => {
    const frame = top();
    frame.branch += size - frame.last;
    frame.last = size;
  };
  const n = pattern.length;
  let i = 0;
  while (i < n) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === 'Q') {
        // \Q...\E: a literal run.
        const end = pattern.indexOf('\\E', i + 2);
        const stop = end < 0 ? n : end;
        for (let j = i + 2; j < stop; j++) atom(1);
        i = end < 0 ? n : end + 2;
        continue;
      }
      i += 2;
      if ((next === 'p' || next === 'P' || next === 'x') && pattern[i] === '{') {
        const close = pattern.indexOf('}', i);
        i = close < 0 ? n : close + 1;
      }
      atom(1);
      continue;
    }
    if (c === '[') {
      i = endOfClass(pattern, i);
      atom(1);
      continue;
    }
    if (c === '(') {
      if (pattern[i + 1] === '?') {
        const flags = /^\(\?[a-zA-Z-]*\)/.exec(pattern.slice(i, i + 16));
        if (flags !== null) {
          // (?i): flags, not a group.
          i += flags[0].length;
          continue;
        }
      }
      stack.push({ done: 0, branch: 0, last: 0 });
      i++;
      if (pattern[i] === '?') {
        // (?:, (?i:, (?P<name>, (?<name>: skip to the group's body.
        const colon = /^\?[a-zA-Z-]*:/.exec(pattern.slice(i, i + 16));
        const named = /^\?P?<[^>]*>/.exec(pattern.slice(i, i + 200));
        if (colon !== null) i += colon[0].length;
        else if (named !== null) i += named[0].length;
      }
      continue;
    }
    if (c === ')') {
      if (stack.length > 1) {
        const group = stack.pop() as Frame;
        atom(group.done + group.branch + 2);
      }
      i++;
      continue;
    }
    if (c === '|') {
      const frame = top();
      frame.done += frame.branch + 1;
      frame.branch = 0;
      frame.last = 0;
      i++;
      continue;
    }
    if (c === '*' || c === '+' || c === '?') {
      repeat(top().last + 1);
      i++;
      if (pattern[i] === '?') i++;
      continue;
    }
    if (c === '{') {
      const counted = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(pattern.slice(i, i + 16));
      if (counted !== null) {
        const min = Number(counted[1]);
        const max = counted[2] === undefined ? min : counted[3] === '' ? min + 1 : Number(counted[3]);
        const size = top().last;
        repeat(min * size + Math.max(0, max - min) * (size + 1));
        i += counted[0].length;
        if (pattern[i] === '?') i++;
        continue;
      }
    }
    atom(1);
    i++;
  }
  let total = 2;
  for (const frame of stack) total += frame.done + frame.branch;
  return total;
}

/** The index after the character class that starts at `start` (`[`), or the end of the pattern. */
function endOfClass(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^') i++;
  // A `]` first in the class is a member.
  if (pattern[i] === ']') i++;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '[' && pattern[i + 1] === ':') {
      const close = pattern.indexOf(':]', i + 2);
      if (close >= 0) {
        i = close + 2;
        continue;
      }
    }
    if (c === ']') return i + 1;
    i++;
  }
  return pattern.length;
}

/** Compiled lists of trusted objects (a credential's constraint), compiled once per object. */
const compiledLists = new WeakMap<readonly LabelMatcher[], LabelMatchers>();

/**
 * The compiled form of a list validated earlier (a credential's constraint, read for every incident of a listing):
 * compiled on first use and remembered for the list object. A list that no longer compiles matches nothing, never
 * everything.
 */
export function labelMatchersOf(list: readonly LabelMatcher[]): LabelMatchers | null {
  let compiled = compiledLists.get(list);
  if (compiled === undefined) {
    const parsed = parseLabelMatchers(list, 'label_matchers');
    if ('problem' in parsed) return null;
    compiled = parsed.matchers;
    compiledLists.set(list, compiled);
  }
  return compiled;
}

/**
 * A property holding a list of label matchers, validated by parseLabelMatchers (the message names the first
 * problem). `minCount`: silences need one at least; filters accept an empty list (no condition).
 */
export function IsLabelMatchers(minCount = 0, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isLabelMatchers',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => 'matchers' in parseLabelMatchers(value, String(propertyName), minCount),
        defaultMessage(args: ValidationArguments): string {
          const parsed = parseLabelMatchers(args.value, args.property, minCount);
          return 'problem' in parsed ? parsed.problem : `${args.property} is invalid`;
        },
      },
    });
}
