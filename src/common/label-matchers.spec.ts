import { performance } from 'node:perf_hooks';
import {
  LabelMatcher,
  LabelMatchers,
  MATCHER_LIMITS,
  estimateProgramSize,
  labelMatchersOf,
  parseLabelMatchers,
} from './label-matchers';

function compile(...list: LabelMatcher[]): LabelMatchers {
  return LabelMatchers.compile(list);
}

function problemOf(value: unknown, minCount = 0): string {
  const parsed = parseLabelMatchers(value, 'label_matchers', minCount);
  return 'problem' in parsed ? parsed.problem : 'no problem';
}

describe('LabelMatchers', () => {
  const labels = { env: 'production', team: 'db', empty: '' };

  it.each<[string, LabelMatcher, boolean]>([
    ['= equal value', { name: 'env', op: '=', value: 'production' }, true],
    ['= other value', { name: 'env', op: '=', value: 'prod' }, false],
    ['= "" on a missing label', { name: 'region', op: '=', value: '' }, true],
    ['= "" on an empty label', { name: 'empty', op: '=', value: '' }, true],
    ['= a value on a missing label', { name: 'region', op: '=', value: 'eu' }, false],
    ['!= other value', { name: 'env', op: '!=', value: 'staging' }, true],
    ['!= equal value', { name: 'env', op: '!=', value: 'production' }, false],
    ['!= a value on a missing label', { name: 'region', op: '!=', value: 'eu' }, true],
    ['!= "" on a missing label', { name: 'region', op: '!=', value: '' }, false],
    ['=~ whole value', { name: 'env', op: '=~', value: 'prod.*' }, true],
    ['=~ anchored at the start', { name: 'env', op: '=~', value: 'duction' }, false],
    ['=~ anchored at the end', { name: 'env', op: '=~', value: 'prod' }, false],
    ['=~ alternation anchored as a whole', { name: 'env', op: '=~', value: 'staging|prod' }, false],
    ['=~ alternation', { name: 'env', op: '=~', value: 'staging|production' }, true],
    ['=~ literal', { name: 'team', op: '=~', value: 'db' }, true],
    ['=~ .* on a missing label', { name: 'region', op: '=~', value: '.*' }, true],
    ['=~ .+ on a missing label', { name: 'region', op: '=~', value: '.+' }, false],
    ['=~ case-insensitive flag', { name: 'env', op: '=~', value: '(?i)PROD.*' }, true],
    ['!~ matching value', { name: 'env', op: '!~', value: 'prod.*' }, false],
    ['!~ other value', { name: 'env', op: '!~', value: 'dev|staging' }, true],
    ['!~ partial match is no match', { name: 'env', op: '!~', value: 'prod' }, true],
    ['!~ .+ on a missing label', { name: 'region', op: '!~', value: '.+' }, true],
    ['a name of Object.prototype reads as missing', { name: 'constructor', op: '=', value: '' }, true],
  ])('%s', (_case, matcher, expected) => {
    expect(compile(matcher).matches(labels)).toBe(expected);
  });

  it('needs every matcher to hold', () => {
    const both = compile({ name: 'env', op: '=~', value: 'prod.*' }, { name: 'team', op: '=', value: 'db' });
    expect(both.matches(labels)).toBe(true);
    expect(both.matches({ ...labels, team: 'web' })).toBe(false);
    expect(both.matches({ team: 'db' })).toBe(false);
  });

  it('answers right when lists sharing a pattern ask about different values in turn (the last answer is kept)', () => {
    const a = compile({ name: 'env', op: '=~', value: 'prod|staging-.*' });
    const b = compile(
      { name: 'env', op: '!~', value: 'prod|staging-.*' },
      { name: 'team', op: '=', value: 'db' },
    );
    const values = ['prod', 'prod', 'dev', 'staging-eu', 'staging-eu', 'prod', ''];
    expect(values.map((env) => a.matches({ env }))).toEqual([true, true, false, true, true, true, false]);
    expect(values.map((env) => b.matches({ env, team: 'db' }))).toEqual([
      false,
      false,
      true,
      false,
      false,
      false,
      true,
    ]);
  });

  it('an empty list matches everything', () => {
    expect(LabelMatchers.NONE.matches({})).toBe(true);
    expect(compile().isEmpty).toBe(true);
  });

  it('and() matches what both lists match', () => {
    const a = compile({ name: 'env', op: '=~', value: 'prod.*' });
    const b = compile({ name: 'team', op: '!=', value: 'web' });
    const both = a.and(b);
    expect(both.matches(labels)).toBe(true);
    expect(both.matches({ env: 'production', team: 'web' })).toBe(false);
    expect(both.matches({ env: 'dev', team: 'db' })).toBe(false);
    expect(a.and(LabelMatchers.NONE)).toBe(a);
  });

  it('has the same key for the same matchers in any order, duplicates ignored', () => {
    const x: LabelMatcher = { name: 'env', op: '=~', value: 'prod.*' };
    const y: LabelMatcher = { name: 'team', op: '=', value: 'db' };
    expect(compile(x, y).key).toBe(compile(y, x, y).key);
    expect(compile(x).key).not.toBe(compile({ ...x, op: '!~' }).key);
    expect(compile(x).key).not.toBe(compile(y).key);
  });

  it('tells whether a list matches the empty label set', () => {
    expect(compile({ name: 'env', op: '=~', value: '.*' }).matchesEmpty()).toBe(true);
    expect(compile({ name: 'env', op: '!=', value: 'prod' }).matchesEmpty()).toBe(true);
    expect(
      compile({ name: 'env', op: '=~', value: '.*' }, { name: 'team', op: '=', value: 'db' }).matchesEmpty(),
    ).toBe(false);
  });

  it('compiles a constraint list once per object, and a list that no longer compiles to nothing', () => {
    const list: LabelMatcher[] = [{ name: 'env', op: '=~', value: 'prod.*' }];
    expect(labelMatchersOf(list)).toBe(labelMatchersOf(list));
    expect(labelMatchersOf([{ name: 'env', op: '=~', value: '(' }])).toBeNull();
  });
});

describe('parseLabelMatchers', () => {
  it.each<[string, unknown, string]>([
    ['not an array', { name: 'env' }, 'label_matchers must be an array of {name, op, value} matchers'],
    ['null', null, 'label_matchers must be an array of {name, op, value} matchers'],
    ['a null matcher', [null], 'label_matchers[0] must be an object {name, op, value}'],
    ['a string matcher', ['env=prod'], 'label_matchers[0] must be an object {name, op, value}'],
    ['an array matcher', [['env', '=', 'prod']], 'label_matchers[0] must be an object {name, op, value}'],
    [
      'an unknown key',
      [{ name: 'env', op: '=', value: 'x', regex: true }],
      'label_matchers[0] has the unknown key "regex"',
    ],
    ['no name', [{ op: '=', value: 'x' }], 'label_matchers[0].name is required'],
    [
      'an empty name',
      [{ name: '', op: '=', value: 'x' }],
      'label_matchers[0].name must be a string of 1..128 characters',
    ],
    [
      'a long name',
      [{ name: 'n'.repeat(129), op: '=', value: 'x' }],
      'label_matchers[0].name must be a string of 1..128 characters',
    ],
    [
      'a null name',
      [{ name: null, op: '=', value: 'x' }],
      'label_matchers[0].name must be a string of 1..128 characters',
    ],
    ['no op', [{ name: 'env', value: 'x' }], 'label_matchers[0].op is required'],
    [
      'an unknown op',
      [{ name: 'env', op: '==', value: 'x' }],
      'label_matchers[0].op must be one of =, !=, =~, !~',
    ],
    [
      'a null op',
      [{ name: 'env', op: null, value: 'x' }],
      'label_matchers[0].op must be one of =, !=, =~, !~',
    ],
    ['no value', [{ name: 'env', op: '=' }], 'label_matchers[0].value is required'],
    [
      'a number value',
      [{ name: 'env', op: '=', value: 1 }],
      'label_matchers[0].value must be a string of at most 1024 characters',
    ],
    [
      'a null value',
      [{ name: 'env', op: '=~', value: null }],
      'label_matchers[0].value must be a string of at most 1024 characters',
    ],
    [
      'a long value',
      [{ name: 'env', op: '=', value: 'v'.repeat(1025) }],
      'label_matchers[0].value must be a string of at most 1024 characters',
    ],
    [
      'a regex over 1,024 characters',
      [{ name: 'env', op: '=~', value: 'a|'.repeat(512) + 'b' }],
      'label_matchers[0].value must be a string of at most 1024 characters',
    ],
    [
      '65 matchers',
      Array.from({ length: 65 }, () => ({ name: 'env', op: '=', value: 'x' })),
      'label_matchers must have at most 64 matchers',
    ],
  ])('refuses %s', (_case, value, message) => {
    expect(problemOf(value)).toBe(message);
  });

  it.each([
    ['an unclosed group', '(prod', 'missing closing )'],
    ['a backreference', '(a)\\1', 'invalid escape sequence'],
    ['a lookahead', 'prod(?=uction)', 'invalid or unsupported Perl syntax'],
    ['a repeat count over 1,000', 'a{1001}', 'invalid repeat count'],
    ['a dangling repeat', '*prod', 'missing argument to repetition operator'],
  ])('refuses a regex with %s, naming the matcher', (_case, pattern, reason) => {
    const problem = problemOf([
      { name: 'team', op: '=', value: 'db' },
      { name: 'env', op: '!~', value: pattern },
    ]);
    expect(problem).toContain('label_matchers[1].value is not a valid regular expression (RE2 syntax)');
    expect(problem).toContain(reason);
  });

  it('does not compile regexes for = and != (their values are plain text)', () => {
    expect(problemOf([{ name: 'env', op: '=', value: '(' }])).toBe('no problem');
    expect(problemOf([{ name: 'env', op: '!=', value: '[' }])).toBe('no problem');
  });

  it('accepts a regex of exactly 1,024 characters', () => {
    expect(problemOf([{ name: 'env', op: '=~', value: 'a'.repeat(1024) }])).toBe('no problem');
    expect(problemOf([{ name: 'env', op: '=~', value: 'a.'.repeat(512) }])).toBe('no problem');
  });

  it('accepts 64 matchers, and counts a minimum when asked', () => {
    expect(problemOf(Array.from({ length: 64 }, (_, i) => ({ name: `l${i}`, op: '=', value: 'x' })))).toBe(
      'no problem',
    );
    expect(problemOf([])).toBe('no problem');
    expect(problemOf([], 1)).toBe('label_matchers must have at least 1 matcher(s)');
  });

  it('refuses a pattern that compiles to a huge program, without compiling it', () => {
    // 1,017 characters, 225,776 instructions: 0.9 s to compile, 11 s to match 1,000 characters.
    const huge = 'a{2,1000}'.repeat(113);
    const started = performance.now();
    expect(problemOf([{ name: 'env', op: '=~', value: huge }])).toContain('far more than 2048 instructions');
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('refuses regexes that compile to more than the budget in all, and accepts them up to it', () => {
    // a{1,700} compiles to about 1,400 instructions: one fits, two do not.
    const one = { name: 'env', op: '=~', value: 'a{1,700}' };
    expect(problemOf([one])).toBe('no problem');
    expect(problemOf([one, { ...one, name: 'team' }])).toMatch(
      /^label_matchers: the regular expressions compile to \d+ instructions or more in all, more than 2048/,
    );
    expect(problemOf([{ name: 'env', op: '=~', value: '\\pL{1000}\\pN{1000}.{100}' }])).toContain(
      'more than 2048',
    );
  });

  it('accepts an alternation of 100 service names (well within the budget)', () => {
    const names = Array.from({ length: 100 }, (_, i) => `checkout-service-${i}`).join('|');
    expect(names.length).toBeLessThanOrEqual(MATCHER_LIMITS.value * 3);
    const pattern = names.slice(0, names.lastIndexOf('|', 1024));
    const parsed = parseLabelMatchers([{ name: 'svc', op: '=~', value: pattern }], 'm');
    expect('matchers' in parsed && parsed.matchers.matches({ svc: 'checkout-service-7' })).toBe(true);
  });
});

describe('estimateProgramSize', () => {
  it.each([
    'prod.*',
    'staging|production|dev',
    '(?i)(api|web)-[0-9]+',
    '(?:[a-z0-9]{1,100}\\.){1,10}',
    'a{2,1000}b{2,1000}c{2,1000}',
    '\\pL{1,1000}',
    '[\\]a-z]{10}x',
    '\\Q(a){1000}\\E{3}',
    '(?P<name>a+)b{5,}',
    'x{0}y{3}z*?',
  ])('is not below what %s compiles to', (pattern) => {
    const parsed = parseLabelMatchers([{ name: 'x', op: '=~', value: pattern }], 'm');
    const size = 'matchers' in parsed ? parsed.matchers.programSize : Number.NaN;
    // Over the budget: only the estimate is known.
    if (Number.isNaN(size)) return;
    expect(estimateProgramSize(pattern)).toBeGreaterThanOrEqual(size);
  });
});

describe('regex matching time', () => {
  /** The fastest of a few runs, after a warm-up: the least noisy figure of a shared machine. */
  function fastestMs(run: () => void): number {
    run();
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      run();
      best = Math.min(best, performance.now() - started);
    }
    return best;
  }

  it.each([
    ['(a+)+$', (n: number) => 'a'.repeat(n) + 'b'],
    ['(a|aa)+b', (n: number) => 'a'.repeat(n)],
    ['(x+x+)+y', (n: number) => 'x'.repeat(n)],
    ['(.*a){12}', (n: number) => 'a'.repeat(n)],
  ])(
    'stays linear for the catastrophic-backtracking pattern %s on 50,000 and 100,000 characters',
    (pattern, input) => {
      const matchers = compile({ name: 'v', op: '=~', value: pattern });
      const small = { v: input(50_000) };
      const large = { v: input(100_000) };
      const smallMs = fastestMs(() => matchers.matches(small));
      const largeMs = fastestMs(() => matchers.matches(large));
      // A backtracking engine takes years for these; linear means twice the input costs about twice the time.
      // Generous bounds for a shared machine: 2n within 4x n plus a 20 ms floor, and well under a second.
      expect(largeMs).toBeLessThan(4 * smallMs + 20);
      expect(largeMs).toBeLessThan(1000);
    },
  );
});
