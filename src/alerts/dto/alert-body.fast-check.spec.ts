import { ArgumentMetadata, HttpException } from '@nestjs/common';
import { IsString, isURL, length, maxLength } from 'class-validator';
import { INCIDENT_TYPES, SEVERITIES } from '../../domain';
import { fastBodyValidatorFor, registerFastBodyValidator } from '../../common/fast-body-validation';
import { ValidationError } from '../../common/api-error';
import { apiValidationPipe } from '../../common/validation';
import { AlertBatchDto } from './alert-batch.dto';
import { fastAlertBatchDto, fastCreateAlertDto } from './alert-body.fast-check';
import { CreateAlertDto } from './create-alert.dto';
import {
  NOT_A_STRING,
  PipeUnderTest,
  SMILE,
  STRING_MAPS,
  isLengthEdgeStrings,
  newTally,
  stringsAround,
} from '../../../test/support/fast-check-equivalence';
import { prng } from '../../../test/support/prng';

/*
 * The fast checks against the pipe's class-validator path, over a generated corpus (fixed seed): whenever a fast
 * check accepts a body, class-validator accepts it too and the pipe returns an equal object (same class, same own
 * properties and values). Measured share of the bodies class-validator accepts that the fast path takes (it falls
 * back only on the edges: strings longer than their limit in UTF-16 units but not in validator.js's count, labels
 * named after Object.prototype members, unknown keys holding objects): in this corpus 1,647 of the
 * 1,850 single alerts class-validator accepts (89 %) and 328 of the 345 batches of 1-4 alerts (95 %); every typical
 * body.
 */

const validationPipe = apiValidationPipe();
const pipe = new PipeUnderTest(validationPipe, (error) =>
  error instanceof HttpException ? error.getResponse() : error,
);

const SERVICE_LISTS: unknown[] = [
  [],
  ['web'],
  ['web', 'db'],
  [''],
  ['\uFE0F'],
  ['a\uFE0F'],
  ['a'.repeat(255)],
  ['a'.repeat(256)],
  [SMILE.repeat(128)],
  Array.from({ length: 64 }, (_, i) => `s${i}`),
  Array.from({ length: 65 }, (_, i) => `s${i}`),
  [1],
  [null],
  [[]],
  [{}],
  ['web', 5],
  'web',
  null,
  {},
  { 0: 'web' },
];

const URLS: unknown[] = [
  'https://runbooks.example.com/cpu',
  'http://localhost:8080/runbook',
  'https://runbooks/cpu',
  'https://10.0.0.1/x?y=1#z',
  'HTTPS://EXAMPLE.COM/A',
  'https://例え.jp/手順',
  'ftp://files.example.com/a',
  'mailto:ops@example.com',
  'javascript:alert(1)',
  'runbooks.example.com/cpu',
  '//runbooks.example.com/cpu',
  'https://run books.example.com/cpu',
  'https://runbooks.example.com/a b',
  'https://',
  'http://-bad-.com',
  'https://user:pw@example.com/',
  'https://example.com:99999/',
  'https://example.com/' + 'a'.repeat(2048 - 20), // exactly 2048
  'https://example.com/' + 'a'.repeat(2048 - 19), // 2049
  'https://example.com/' + SMILE.repeat(1015), // over 2048 UTF-16 units, not for validator.js
  'https://' + 'a'.repeat(3000) + '.com',
  '',
  ' ',
  ...NOT_A_STRING,
];

const EXTRA_KEYS: Record<string, unknown>[] = [
  { status: 'firing' },
  { fingerprint: 'abc', count: 3, ok: true, gone: null },
  { extra: { nested: 1 } },
  { extra: [1, 2] },
  { constructor: 'x' },
  { toString: 'x' },
  { prototype: 1 },
  JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>,
  { SOURCE: 'upper-case twin' },
];

const TYPICAL_ALERT = {
  source: 'prometheus',
  title: 'High CPU on web-1',
  description: 'cpu > 90%',
  severity: 'P1',
  alert_type: 'Performance',
  labels: { env: 'prod', team: 'web' },
  affected_services: ['web'],
  runbook_url: 'https://runbooks.example.com/cpu',
};

interface FieldPool {
  typical: unknown;
  others: unknown[];
}

const FIELDS: Record<string, FieldPool> = {
  source: { typical: 'prometheus', others: stringsAround(255) },
  title: { typical: 'High CPU on web-1', others: stringsAround(500) },
  description: { typical: 'cpu > 90%', others: stringsAround(10_000) },
  severity: {
    typical: 'P1',
    others: [...SEVERITIES, 'p1', 'P5', ' P1', '', 1, null, ['P1'], { P1: true }],
  },
  alert_type: {
    typical: 'Performance',
    others: [
      ...INCIDENT_TYPES,
      ...INCIDENT_TYPES.map((t) => t.toLowerCase()),
      ...INCIDENT_TYPES.map((t) => t.toUpperCase()),
      'Performance ',
      '',
      3,
      null,
      [],
    ],
  },
  external_id: { typical: 'alert-1234', others: stringsAround(255) },
  labels: { typical: { env: 'prod' }, others: STRING_MAPS },
  affected_services: { typical: ['web'], others: SERVICE_LISTS },
  runbook_url: { typical: 'https://runbooks.example.com/cpu', others: URLS },
  annotations: { typical: { summary: 'CPU high' }, others: STRING_MAPS },
  dedup_key: { typical: 'web-cpu', others: stringsAround(255) },
};
const REQUIRED = new Set(['source', 'title', 'description', 'severity', 'alert_type']);

/** One alert body: each field absent, typical, or from its pool; now and then an odd change on top. */
function randomAlert(random: () => number): Record<string, unknown> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const alert: Record<string, unknown> = {};
  // Most bodies change one or two fields at most, so that valid ones are common enough to compare results.
  const oddness = random() < 0.3 ? 0.5 : 0.08;
  for (const [name, pool] of Object.entries(FIELDS)) {
    const absent = random() < (REQUIRED.has(name) ? 0.02 : 0.4);
    if (absent) continue;
    alert[name] = random() < oddness ? pick(pool.others) : pool.typical;
  }
  if (random() < 0.2) Object.assign(alert, pick(EXTRA_KEYS));
  return alert;
}

const NOT_OBJECTS: unknown[] = [null, [], [TYPICAL_ALERT], 'alert', 5, true];

describe('fast checks of the alert ingestion bodies', () => {
  it('are registered for the pipe', () => {
    expect(fastBodyValidatorFor(CreateAlertDto)).toBe(fastCreateAlertDto);
    expect(fastBodyValidatorFor(AlertBatchDto)).toBe(fastAlertBatchDto);
  });

  it('count lengths as class-validator does at the limits they check (validator.js isLength)', () => {
    const all = isLengthEdgeStrings();
    // At least 1 exactly when non-empty, and never more than the UTF-16 length.
    const misjudged = all.filter((s) => length(s, 1, s.length) !== s.length >= 1 || !maxLength(s, s.length));
    expect(misjudged).toEqual([]);
    // The limits as the fast check applies them, on every DTO field with a length.
    for (const s of all) {
      const body = { ...TYPICAL_ALERT, source: s, title: s, description: s, external_id: s, dedup_key: s };
      if (fastCreateAlertDto(body) !== undefined) {
        expect([length(s, 1, 255), length(s, 1, 500), maxLength(s, 10_000)]).toEqual([true, true, true]);
      }
    }
  });

  it('answer for runbook_url as isURL does, with its remembered URLs full and starting over', () => {
    const urls = [
      ...Array.from({ length: 600 }, (_, i) => `https://runbooks.example.com/rule-${i}`),
      ...URLS.filter((url): url is string => typeof url === 'string'),
    ];
    for (const round of [1, 2]) {
      for (const url of urls) {
        const accepted = fastCreateAlertDto({ ...TYPICAL_ALERT, runbook_url: url }) !== undefined;
        expect({ round, url, accepted }).toEqual({
          round,
          url,
          accepted: url.length <= 2048 && isURL(url, { require_tld: false, require_protocol: true }),
        });
      }
    }
  });

  it('take the typical alert and batch, with the result of class-validator', async () => {
    const tally = newTally();
    await pipe.compare(TYPICAL_ALERT, CreateAlertDto, fastCreateAlertDto, tally);
    const batch = {
      alerts: Array.from({ length: 100 }, (_, i) => ({ ...TYPICAL_ALERT, title: `High CPU on web-${i}` })),
    };
    await pipe.compare(batch, AlertBatchDto, fastAlertBatchDto, tally);
    expect(tally).toEqual({ slowAccepted: 2, fastAccepted: 2, problems: [] });
    const dto = fastCreateAlertDto(JSON.parse(JSON.stringify(TYPICAL_ALERT)));
    expect(dto).toBeInstanceOf(CreateAlertDto);
    expect(fastAlertBatchDto(JSON.parse(JSON.stringify(batch)))?.alerts[99]).toBeInstanceOf(CreateAlertDto);
  });

  it('never accept a single alert class-validator refuses, and return what it returns', async () => {
    const random = prng(20261202);
    const tally = newTally();
    const bodies: unknown[] = [...NOT_OBJECTS];
    for (const [name, pool] of Object.entries(FIELDS)) {
      // Every pool value once, in an otherwise typical alert.
      for (const value of [...pool.others, undefined]) bodies.push({ ...TYPICAL_ALERT, [name]: value });
    }
    for (const extra of EXTRA_KEYS) bodies.push({ ...TYPICAL_ALERT, ...extra });
    for (let i = 0; i < 4000; i++) bodies.push(randomAlert(random));
    for (const body of bodies) await pipe.compare(body, CreateAlertDto, fastCreateAlertDto, tally);
    expect(tally.problems).toEqual([]);
    expect(tally.slowAccepted).toBeGreaterThan(1000);
    expect(tally.fastAccepted / tally.slowAccepted).toBeGreaterThan(0.8);
  });

  it('never accept a batch class-validator refuses, and return what it returns', async () => {
    const random = prng(1202);
    const tally = newTally();
    const many = (count: number): unknown[] => Array.from({ length: count }, () => ({ ...TYPICAL_ALERT }));
    const bodies: unknown[] = [
      ...NOT_OBJECTS,
      {},
      { alerts: [] },
      { alerts: many(1000) },
      { alerts: many(1001) },
      { alerts: null },
      { alerts: 'x' },
      { alerts: TYPICAL_ALERT },
      { alerts: [null] },
      { alerts: [[TYPICAL_ALERT]] },
      { alerts: [TYPICAL_ALERT, 'x'] },
      { alerts: [TYPICAL_ALERT], status: 'firing' },
      { alerts: [TYPICAL_ALERT], extra: { a: 1 } },
      { alerts: [TYPICAL_ALERT], constructor: 'x' },
      { ALERTS: [TYPICAL_ALERT] },
    ];
    for (let i = 0; i < 600; i++) {
      const count = 1 + Math.floor(random() * 4);
      const alerts = Array.from({ length: count }, () =>
        random() < 0.6 ? { ...TYPICAL_ALERT } : randomAlert(random),
      );
      bodies.push(random() < 0.1 ? { alerts, note: 'x' } : { alerts });
    }
    for (const body of bodies) await pipe.compare(body, AlertBatchDto, fastAlertBatchDto, tally);
    expect(tally.problems).toEqual([]);
    expect(tally.slowAccepted).toBeGreaterThan(200);
    expect(tally.fastAccepted / tally.slowAccepted).toBeGreaterThan(0.5);
  });

  it('leave invalid bodies to class-validator, whose messages the pipe still gives', async () => {
    const cases: [unknown, ArgumentMetadata['metatype'], string][] = [
      [
        { ...TYPICAL_ALERT, source: '' },
        CreateAlertDto,
        'source must be longer than or equal to 1 characters',
      ],
      [{ ...TYPICAL_ALERT, severity: 'p1' }, CreateAlertDto, 'severity must be one of the following values'],
      [{ ...TYPICAL_ALERT, runbook_url: null }, CreateAlertDto, 'runbook_url must be a string'],
      [
        { ...TYPICAL_ALERT, runbook_url: 'javascript:alert(1)' },
        CreateAlertDto,
        'runbook_url must be a URL address',
      ],
      [{ ...TYPICAL_ALERT, labels: { k: 1 } }, CreateAlertDto, 'labels must be an object of at most 64'],
      [{ title: 'x' }, CreateAlertDto, 'source is required'],
      [{ alerts: [] }, AlertBatchDto, 'alerts must contain at least 1 elements'],
      [{ alerts: [TYPICAL_ALERT, null] }, AlertBatchDto, 'alerts.1 must be an object, got null'],
      [{ alerts: [{ ...TYPICAL_ALERT, title: '' }] }, AlertBatchDto, 'alerts.0.title must be longer than'],
    ];
    for (const [body, metatype, message] of cases) {
      const json = JSON.stringify(body);
      const hooked = await pipe.hookedPipe(json, metatype);
      expect(hooked).toStrictEqual(await pipe.slowPath(json, metatype));
      expect(hooked.accepted).toBe(false);
      expect(JSON.stringify(hooked.accepted ? undefined : hooked.error)).toContain(message);
    }
  });

  it('are tried for bodies only: query strings and path parameters take the pipe as before', async () => {
    class ProbeDto {
      @IsString()
      x!: string;
    }
    const seen: unknown[] = [];
    const answer = new ProbeDto();
    registerFastBodyValidator(ProbeDto, (value) => {
      seen.push(value);
      return answer;
    });
    await expect(validationPipe.transform({ x: 'a' }, { type: 'body', metatype: ProbeDto })).resolves.toBe(
      answer,
    );
    await expect(
      validationPipe.transform({ x: 'a' }, { type: 'query', metatype: ProbeDto }),
    ).resolves.not.toBe(answer);
    await expect(
      validationPipe.transform({ x: 'a' }, { type: 'param', metatype: ProbeDto }),
    ).resolves.not.toBe(answer);
    await expect(
      validationPipe.transform({ x: 'a\0' }, { type: 'query', metatype: ProbeDto }),
    ).rejects.toThrow(ValidationError);
    expect(seen).toEqual([{ x: 'a' }]);
  });
});
