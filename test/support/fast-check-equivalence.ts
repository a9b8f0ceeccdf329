import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';

/*
 * What the equivalence specs of the fast body checks share (src/alerts/dto/alert-body.fast-check.spec.ts,
 * src/streaming/protocol/client-messages.fast-check.spec.ts): a validation pipe answered two ways, class-validator
 * alone and the pipe with its fast hook, the comparison of a fast check with both, and the value pools the generated
 * corpora draw from. Randomness: prng (./prng), seeded.
 */

export type Metatype = ArgumentMetadata['metatype'];
export type FastCheck = (body: unknown) => object | undefined;
export type Outcome = { accepted: true; value: unknown } | { accepted: false; error: unknown };

/** How many bodies class-validator and the fast check accepted, and every disagreement found. */
export interface Tally {
  slowAccepted: number;
  fastAccepted: number;
  problems: string[];
}

export const newTally = (): Tally => ({ slowAccepted: 0, fastAccepted: 0, problems: [] });

/** A validation pipe whose `transform` consults the fast checks before class-validator (its parent's transform). */
export class PipeUnderTest {
  constructor(
    private readonly pipe: ValidationPipe,
    /** What a refusal is compared by (the error's answer rather than the error object). */
    private readonly answerOf: (error: unknown) => unknown,
  ) {}

  /** class-validator alone: the pipe's transform without the fast hook. */
  slowPath(json: string, metatype: Metatype): Promise<Outcome> {
    return this.outcome(
      (value, metadata) => ValidationPipe.prototype.transform.call(this.pipe, value, metadata),
      json,
      metatype,
    );
  }

  /** The pipe as the application runs it, hook included. */
  hookedPipe(json: string, metatype: Metatype): Promise<Outcome> {
    return this.outcome((value, metadata) => this.pipe.transform(value, metadata), json, metatype);
  }

  /**
   * Compares the fast check with class-validator, and the hooked pipe with both, for one body: whenever the fast
   * check accepts, class-validator accepts too and returns an equal object of the same prototype (and the same
   * `shapeOf`, when given); the hooked pipe answers as class-validator does. Counts into `tally` (and `subset`).
   */
  async compare(
    body: unknown,
    metatype: Metatype,
    fast: FastCheck,
    tally: Tally,
    options: { subset?: Tally; shapeOf?: (value: unknown) => unknown } = {},
  ): Promise<void> {
    const { subset, shapeOf } = options;
    const json = JSON.stringify(body);
    const fastResult = fast(JSON.parse(json));
    const slow = await this.slowPath(json, metatype);
    const hooked = await this.hookedPipe(json, metatype);
    for (const counts of subset === undefined ? [tally] : [tally, subset]) {
      if (slow.accepted) counts.slowAccepted++;
      if (fastResult !== undefined) counts.fastAccepted++;
    }
    const where = json.length > 300 ? `${json.slice(0, 300)}…` : json;
    if (fastResult !== undefined && !slow.accepted) {
      tally.problems.push(
        `fast accepted what class-validator refuses (${JSON.stringify(slow.error)}): ${where}`,
      );
      return;
    }
    if (fastResult !== undefined && slow.accepted) {
      if (Object.getPrototypeOf(fastResult) !== Object.getPrototypeOf(slow.value)) {
        tally.problems.push(`another prototype: ${where}`);
      }
      try {
        expect(fastResult).toStrictEqual(slow.value);
        if (shapeOf !== undefined) expect(shapeOf(fastResult)).toStrictEqual(shapeOf(slow.value));
      } catch {
        tally.problems.push(`another result: ${where}`);
      }
    }
    try {
      expect(hooked).toStrictEqual(slow);
      if (shapeOf !== undefined && hooked.accepted && slow.accepted) {
        expect(shapeOf(hooked.value)).toStrictEqual(shapeOf(slow.value));
      }
    } catch {
      tally.problems.push(`the hooked pipe answers otherwise: ${where}`);
    }
  }

  /** What the pipe answers, with a fresh parse of the body each time (the pipe strips keys in place). */
  private async outcome(
    transform: (value: unknown, metadata: ArgumentMetadata) => Promise<unknown>,
    json: string,
    metatype: Metatype,
  ): Promise<Outcome> {
    try {
      return { accepted: true, value: await transform(JSON.parse(json), { type: 'body', metatype }) };
    } catch (error) {
      return { accepted: false, error: this.answerOf(error) };
    }
  }
}

export const SMILE = '\u{1F600}'; // a surrogate pair: 2 UTF-16 units, 1 character for validator.js
export const NOT_A_STRING: unknown[] = [0, 42, -1.5, true, false, null, [], ['x'], {}, { a: 'b' }];

/** A JSON object with an own `__proto__` key, as JSON.parse builds it (a literal would set the prototype). */
export const withProtoKey = (json: string): Record<string, unknown> =>
  JSON.parse(json) as Record<string, unknown>;

/** Strings around a length limit: empty, at the limit, one over, surrogate pairs and variation selectors. */
export function stringsAround(max: number): unknown[] {
  return [
    '',
    ' ',
    'a',
    'a'.repeat(max),
    'a'.repeat(max + 1),
    SMILE.repeat(Math.floor(max / 2)),
    SMILE.repeat(Math.floor(max / 2) + 1), // over the limit in UTF-16 units, within it for validator.js
    SMILE.repeat(max + 1),
    '\uFE0F',
    '\uFE0F\uFE0E',
    'a\uFE0F',
    'a'.repeat(max) + '\uFE0F', // one over in UTF-16 units, at the limit for validator.js
    '\uD83D', // a lone surrogate
    'Straße ✓ 日本',
    ...NOT_A_STRING,
  ];
}

/**
 * Every string of up to 5 characters from those validator.js's isLength treats apart: a counted one, both variation
 * selectors, both halves of a surrogate pair (3,906 strings, the empty one included).
 */
export function isLengthEdgeStrings(): string[] {
  const alphabet = ['a', '\uFE0F', '\uFE0E', '\uD83D', '\uDE00'];
  let strings = [''];
  const all = [''];
  for (let size = 1; size <= 5; size++) {
    strings = strings.flatMap((s) => alphabet.map((c) => s + c));
    all.push(...strings);
  }
  return all;
}

const manyEntries = (count: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`k${i}`, `v${i}`]));

/** Values for a labels/annotations-like field (@IsStringMap: at most 64 entries, keys 1..128, values ..1024). */
export const STRING_MAPS: unknown[] = [
  {},
  { env: 'prod', team: 'web' },
  { '2': 'b', '1': 'a', env: 'prod' }, // integer keys come first in both copies
  { '': 'x' },
  { k: 1 },
  { k: null },
  { k: {} },
  { k: ['a'] },
  { k: '' },
  { ['a'.repeat(128)]: 'v' },
  { ['a'.repeat(129)]: 'v' },
  { [SMILE.repeat(65)]: 'v' },
  { k: 'v'.repeat(1024) },
  { k: 'v'.repeat(1025) },
  manyEntries(64),
  manyEntries(65),
  { toString: 'x' },
  { hasOwnProperty: 'x' },
  { valueOf: 'x', env: 'prod' },
  { constructor: 'x' },
  { prototype: 'x' },
  withProtoKey('{"__proto__": "x", "env": "prod"}'),
  { env: '\uFE0F' },
  [],
  ['a'],
  'env=prod',
  null,
  7,
];
