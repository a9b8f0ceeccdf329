import { INCIDENT_STATES, SEVERITIES } from '../../domain';
import { EVENT_TYPES } from '../../events/event.types';
import { fastBodyValidatorFor } from '../../common/fast-body-validation';
import { SubscriptionFiltersDto } from '../../common/subscription-filters';
import {
  AckMessageDto,
  AuthMessageDto,
  PingMessageDto,
  SubscribeMessageDto,
  UnsubscribeMessageDto,
} from './client-messages.dto';
import {
  fastAckMessage,
  fastPingMessage,
  fastSubscribeMessage,
  fastUnsubscribeMessage,
} from './client-messages.fast-check';
import { StreamError } from './stream-error';
import { StreamValidationPipe } from './stream-validation.pipe';
import {
  FastCheck,
  Metatype,
  NOT_A_STRING,
  PipeUnderTest,
  SMILE,
  STRING_MAPS,
  Tally,
  newTally,
  stringsAround,
  withProtoKey,
} from '../../../test/support/fast-check-equivalence';
import { prng } from '../../../test/support/prng';

/*
 * The fast checks of the client messages against StreamValidationPipe's class-validator path, over a generated
 * corpus (fixed seeds): whenever a fast check accepts a message, class-validator accepts it too and the pipe returns
 * an equal object (same class at the top and for `filters`, same own properties in the same order, so the same
 * JSON, which SubscriptionFilter.from shares compiled filters by). And the pipe with its hook answers every message
 * as class-validator alone does: the same result, or the same INVALID_MESSAGE text.
 *
 * Measured share of the messages class-validator accepts that the fast path takes, in this corpus: 2,712 of the
 * 3,789 subscribes (72 %), 2,712 of the 3,055 without label_matchers (89 %: the rest are strings over their limit in
 * UTF-16 units but not for validator.js, labels or filter keys named after Object.prototype members, unknown keys
 * holding objects or shadowing the prototype); 640 of 728 unsubscribes and acks (88 %) and 625 of 688 pings (91 %),
 * which fall back on those unknown keys and, for the ids, on those strings. Every typical message.
 */

const streamPipe = new StreamValidationPipe();
const pipe = new PipeUnderTest(streamPipe, (error) =>
  error instanceof StreamError ? { code: error.code, message: error.message } : error,
);

/** Lists of members of an enum, and everything near one that is not. */
function enumLists(members: readonly string[]): unknown[] {
  return [
    [],
    [...members],
    [members[0]],
    [members[0], members[0]],
    [members[1], members[0]],
    members.map((m) => m.toLowerCase()),
    members.map((m) => m.toUpperCase()),
    [`${members[0]} `],
    ['nope'],
    [''],
    [1],
    [null],
    [true],
    [[members[0]]],
    [{ [members[0]]: true }],
    [members[0], 5],
    members[0],
    null,
    {},
    { 0: members[0] },
    7,
  ];
}

const STRING_LISTS: unknown[] = [
  [],
  ['prometheus'],
  ['prometheus', 'datadog'],
  [''],
  ['a'.repeat(5000)],
  [SMILE, '\uFE0F'],
  Array.from({ length: 100 }, (_, i) => `s${i}`),
  [1],
  [null],
  [[]],
  [{}],
  ['web', 5],
  'prometheus',
  null,
  {},
  { 0: 'web' },
];

const UUID = '0b7a3c4e-5d6f-4a8b-9c0d-1e2f3a4b5c6d';
const UUID_LISTS: unknown[] = [
  [],
  [UUID],
  [UUID.toUpperCase()],
  [UUID, 'f47ac10b-58cc-4372-a567-0e02b2c3d479'],
  ['00000000-0000-0000-0000-000000000000'], // nil
  ['ffffffff-ffff-ffff-ffff-ffffffffffff'], // max
  ['01890a5d-ac96-774b-bcce-b302099a8057'], // v7
  ['0b7a3c4e-5d6f-0a8b-9c0d-1e2f3a4b5c6d'], // version 0
  ['0b7a3c4e-5d6f-4a8b-0c0d-1e2f3a4b5c6d'], // another variant
  [`{${UUID}}`],
  [UUID.replace(/-/g, '')],
  [UUID.slice(1)],
  [`${UUID} `],
  ['not-a-uuid'],
  [''],
  [1],
  [null],
  UUID,
  null,
  {},
];

const LABEL_MATCHERS: unknown[] = [
  [],
  [{ name: 'env', op: '=', value: 'prod' }],
  [{ name: 'env', op: '=~', value: 'prod|staging' }],
  [{ name: 'env', op: '!~', value: '(' }],
  [{ name: 'env', op: '==', value: 'prod' }],
  [{ name: '', op: '=', value: 'prod' }],
  [{ name: 'env', op: '=' }],
  [{ name: 'env', op: '=', value: 'prod', extra: 1 }],
  [null],
  { name: 'env', op: '=', value: 'prod' },
  null,
];

interface FieldPool {
  typical: unknown;
  others: unknown[];
}

const FILTER_FIELDS: Record<string, FieldPool> = {
  event_types: { typical: ['incident_created'], others: enumLists(EVENT_TYPES) },
  severities: { typical: ['P0', 'P1'], others: enumLists(SEVERITIES) },
  states: { typical: ['Detected', 'Investigating'], others: enumLists(INCIDENT_STATES) },
  sources: { typical: ['prometheus'], others: STRING_LISTS },
  affected_resources: { typical: ['web'], others: STRING_LISTS },
  labels: { typical: { env: 'prod' }, others: STRING_MAPS },
  incident_ids: { typical: [UUID], others: UUID_LISTS },
  label_matchers: { typical: [{ name: 'env', op: '=', value: 'prod' }], others: LABEL_MATCHERS },
  min_severity: { typical: 'P2', others: [...SEVERITIES, 'p1', 'P5', '', 1, null, ['P1'], {}] },
};

/** Keys no filter has, or only one that Nest or class-transformer drops. */
const UNKNOWN_FILTER_KEYS: Record<string, unknown>[] = [
  { severity: ['P1'] },
  { Severities: ['P1'] },
  { extra: null },
  { toString: ['P1'] },
  { hasOwnProperty: 'x' },
  { constructor: ['P1'] },
  { prototype: 1 },
  withProtoKey('{"__proto__": {"severities": ["P0"]}}'),
  withProtoKey('{"__proto__": null}'),
];

/** The frequent filters the fast path exists for, and some rarer ones. */
const TYPICAL_FILTERS: Record<string, unknown>[] = [
  {},
  { severities: ['P0', 'P1'], event_types: ['incident_created'] },
  { event_types: ['incident_created', 'incident_updated', 'incident_resolved'] },
  { severities: ['P0'] },
  { sources: ['prometheus'], states: ['Detected'] },
  { labels: { env: 'prod', team: 'web' } },
  { incident_ids: [UUID] },
  { min_severity: 'P1', event_types: ['escalated'] },
  { affected_resources: ['db-1', 'db-2'] },
];

const NOT_OBJECTS: unknown[] = [null, [], [{}], 'filters', 5, true, [TYPICAL_FILTERS[1]]];

const SUBSCRIBE_FIELDS: Record<string, FieldPool> = {
  subscription_id: { typical: 's1', others: stringsAround(128) },
  resume_from: {
    typical: 42,
    others: [
      0,
      1,
      -0,
      -1,
      1.5,
      0.1,
      2 ** 53 - 1,
      2 ** 53,
      2 ** 64,
      1e300,
      -1e300,
      '5',
      '',
      null,
      true,
      [],
      {},
      [5],
    ],
  },
  snapshot: { typical: true, others: [true, false, 'true', 'false', 0, 1, null, [], {}, [true]] },
};

/** Keys no message has: left on the instance when they hold a primitive, as the contract says to ignore them. */
const EXTRA_KEYS: Record<string, unknown>[] = [
  { request_id: 'r-1' },
  { n: 3, ok: false, gone: null, f: 1.5 },
  { '0': 'zero', '10': 'ten' },
  { extra: { nested: 1 } },
  { extra: [1, 2] },
  { extra: [] },
  { extra: {} },
  { constructor: 'x' },
  { toString: 'x' },
  { valueOf: 1 },
  { prototype: 1 },
  withProtoKey('{"__proto__": {"polluted": true}}'),
  withProtoKey('{"__proto__": "x"}'),
  { Type: 'Subscribe', SUBSCRIPTION_ID: 'twin' },
];

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)];

/** Filters: each key absent (mostly), typical, or from its pool; now and then an unknown key on top. */
function randomFilters(random: () => number, oddness: number): unknown {
  if (random() < oddness * 0.1) return pick(random, NOT_OBJECTS);
  if (random() < 0.3) return { ...pick(random, TYPICAL_FILTERS) };
  const filters: Record<string, unknown> = {};
  for (const [name, pool] of Object.entries(FILTER_FIELDS)) {
    if (random() < 0.65) continue;
    filters[name] = random() < oddness ? pick(random, pool.others) : pool.typical;
  }
  if (random() < oddness * 0.3) Object.assign(filters, pick(random, UNKNOWN_FILTER_KEYS));
  return filters;
}

/** A subscribe message as the frame parser hands it over (its `type` included), with the odd change. */
function randomSubscribe(random: () => number): Record<string, unknown> {
  // Most messages change one or two fields at most, so that valid ones are common enough to compare results.
  const oddness = random() < 0.3 ? 0.5 : 0.08;
  const message: Record<string, unknown> = { type: 'subscribe' };
  if (random() < 0.97) {
    message.subscription_id =
      random() < oddness
        ? pick(random, SUBSCRIBE_FIELDS.subscription_id.others)
        : `s${Math.floor(random() * 1e4)}`;
  }
  if (random() < 0.97) message.filters = randomFilters(random, oddness);
  for (const name of ['resume_from', 'snapshot']) {
    if (random() < 0.7) continue;
    const pool = SUBSCRIBE_FIELDS[name];
    message[name] = random() < oddness ? pick(random, pool.others) : pool.typical;
  }
  if (random() < 0.15) Object.assign(message, pick(random, EXTRA_KEYS));
  // Keys in another order now and then: the result must keep the message's order, as class-transformer does.
  return random() < 0.2 ? Object.fromEntries(Object.entries(message).reverse()) : message;
}

/** The own keys of the object and of its `filters`, in order: what JSON.stringify and the filter sharing see. */
function shapeOf(value: unknown): unknown {
  const object = value as Record<string, unknown>;
  const filters = object.filters;
  return {
    keys: Object.keys(object),
    json: JSON.stringify(object),
    filtersPrototype:
      typeof filters === 'object' && filters !== null ? Object.getPrototypeOf(filters) : undefined,
  };
}

/** Compares as PipeUnderTest does, the key order and the class of `filters` included (shapeOf). */
const compare = (
  body: unknown,
  metatype: Metatype,
  fast: FastCheck,
  tally: Tally,
  subset?: Tally,
): Promise<void> => pipe.compare(body, metatype, fast, tally, { subset, shapeOf });

const TYPICAL_SUBSCRIBE = {
  type: 'subscribe',
  subscription_id: 's1',
  filters: { severities: ['P0', 'P1'], event_types: ['incident_created'] },
};

describe('fast checks of the WebSocket client messages', () => {
  it('are registered for the pipe (auth is not: it takes class-validator)', () => {
    expect(fastBodyValidatorFor(SubscribeMessageDto)).toBe(fastSubscribeMessage);
    expect(fastBodyValidatorFor(UnsubscribeMessageDto)).toBe(fastUnsubscribeMessage);
    expect(fastBodyValidatorFor(PingMessageDto)).toBe(fastPingMessage);
    expect(fastBodyValidatorFor(AckMessageDto)).toBe(fastAckMessage);
    expect(fastBodyValidatorFor(AuthMessageDto)).toBeUndefined();
  });

  it('take the typical subscribe, with the instances class-validator returns', async () => {
    const tally = newTally();
    await compare(TYPICAL_SUBSCRIBE, SubscribeMessageDto, fastSubscribeMessage, tally);
    for (const filters of TYPICAL_FILTERS) {
      await compare({ ...TYPICAL_SUBSCRIBE, filters }, SubscribeMessageDto, fastSubscribeMessage, tally);
      await compare(
        { ...TYPICAL_SUBSCRIBE, filters, resume_from: 0, snapshot: false },
        SubscribeMessageDto,
        fastSubscribeMessage,
        tally,
      );
    }
    const count = 1 + 2 * TYPICAL_FILTERS.length;
    expect(tally).toEqual({ slowAccepted: count, fastAccepted: count, problems: [] });
    const message = fastSubscribeMessage(JSON.parse(JSON.stringify(TYPICAL_SUBSCRIBE)));
    expect(message).toBeInstanceOf(SubscribeMessageDto);
    expect(message?.filters).toBeInstanceOf(SubscriptionFiltersDto);
    // The unknown top-level `type` stays, as without whitelist class-transformer leaves it.
    expect(message).toMatchObject({ type: 'subscribe', subscription_id: 's1' });
  });

  it('never accept a subscribe class-validator refuses, and return what it returns', async () => {
    const random = prng(20261202);
    const tally = newTally();
    const messages: unknown[] = [...NOT_OBJECTS, {}, { type: 'subscribe' }];
    // Every pool value once, in an otherwise typical message.
    for (const [name, pool] of Object.entries(SUBSCRIBE_FIELDS)) {
      for (const value of pool.others) messages.push({ ...TYPICAL_SUBSCRIBE, [name]: value });
    }
    for (const filters of NOT_OBJECTS) messages.push({ ...TYPICAL_SUBSCRIBE, filters });
    for (const [name, pool] of Object.entries(FILTER_FIELDS)) {
      for (const value of pool.others) messages.push({ ...TYPICAL_SUBSCRIBE, filters: { [name]: value } });
    }
    for (const extra of UNKNOWN_FILTER_KEYS) {
      messages.push({ ...TYPICAL_SUBSCRIBE, filters: { ...TYPICAL_SUBSCRIBE.filters, ...extra } });
    }
    for (const extra of EXTRA_KEYS) messages.push({ ...TYPICAL_SUBSCRIBE, ...extra });
    for (let i = 0; i < 6000; i++) messages.push(randomSubscribe(random));
    // The messages without label_matchers, which always fall back, are counted apart too.
    const withoutMatchers = newTally();
    for (const message of messages) {
      const usesMatchers = JSON.stringify(message).includes('"label_matchers"');
      await compare(
        message,
        SubscribeMessageDto,
        fastSubscribeMessage,
        tally,
        usesMatchers ? undefined : withoutMatchers,
      );
    }
    expect(tally.problems).toEqual([]);
    expect(tally.slowAccepted).toBeGreaterThan(2000);
    expect(tally.fastAccepted / tally.slowAccepted).toBeGreaterThan(0.65);
    expect(withoutMatchers.fastAccepted / withoutMatchers.slowAccepted).toBeGreaterThan(0.85);
  });

  const SMALL_MESSAGES: [string, Metatype, FastCheck, string, unknown, unknown[]][] = [
    [
      'unsubscribe',
      UnsubscribeMessageDto,
      fastUnsubscribeMessage,
      'subscription_id',
      's1',
      stringsAround(128),
    ],
    ['ack', AckMessageDto, fastAckMessage, 'message_id', 'm-1', stringsAround(128)],
    [
      'ping',
      PingMessageDto,
      fastPingMessage,
      'timestamp',
      '2026-12-02T05:38:39.123Z',
      [
        '2026-12-02T05:38:39Z',
        '2026-12-02t05:38:39z',
        '2026-12-02T05:38:39.123456789+05:30',
        '2024-02-29T00:00:00-00:00',
        '0000-01-01T00:00:00Z',
        '9999-12-31T23:59:59Z',
        '9999-12-31T23:59:59-01:00', // beyond year 9999 in UTC
        '2025-02-29T00:00:00Z',
        '2026-12-02T24:00:00Z',
        '2026-12-02T23:59:60Z',
        '2026-12-02T05:38:39',
        '2026-12-02 05:38:39Z',
        '2026-12-02',
        '2026-12-02T05:38:39+24:00',
        ' 2026-12-02T05:38:39Z',
        '1733117919',
        ...NOT_A_STRING,
        1733117919,
        '',
      ],
    ],
  ];

  it.each(SMALL_MESSAGES)(
    'never accept a(n) %s class-validator refuses, and return what it returns',
    async (type, metatype, fast, field, typical, others) => {
      const random = prng(1202);
      const tally = newTally();
      const messages: unknown[] = [...NOT_OBJECTS, {}, { type }];
      for (const value of others) messages.push({ type, [field]: value });
      for (const extra of EXTRA_KEYS) messages.push({ type, [field]: typical, ...extra });
      for (let i = 0; i < 800; i++) {
        const message: Record<string, unknown> = { type };
        if (random() < 0.97) message[field] = random() < 0.2 ? pick(random, others) : typical;
        if (random() < 0.15) Object.assign(message, pick(random, EXTRA_KEYS));
        messages.push(random() < 0.2 ? Object.fromEntries(Object.entries(message).reverse()) : message);
      }
      for (const message of messages) await compare(message, metatype, fast, tally);
      expect(tally.problems).toEqual([]);
      expect(tally.slowAccepted).toBeGreaterThan(400);
      expect(tally.fastAccepted / tally.slowAccepted).toBeGreaterThan(0.8);
    },
  );

  it('leave invalid messages to class-validator, whose INVALID_MESSAGE texts the pipe still gives', async () => {
    const prefix = 'Failed to process message: ';
    const cases: [unknown, Metatype, string][] = [
      [
        { ...TYPICAL_SUBSCRIBE, subscription_id: '' },
        SubscribeMessageDto,
        'subscription_id must be longer than',
      ],
      [{ type: 'subscribe', filters: {} }, SubscribeMessageDto, 'subscription_id is required'],
      [{ type: 'subscribe', subscription_id: 's1' }, SubscribeMessageDto, 'filters is required'],
      [{ ...TYPICAL_SUBSCRIBE, filters: null }, SubscribeMessageDto, 'filters must be an object'],
      [
        { ...TYPICAL_SUBSCRIBE, filters: { severity: ['P1'] } },
        SubscribeMessageDto,
        'filters has unknown key(s)',
      ],
      [
        { ...TYPICAL_SUBSCRIBE, filters: { severities: ['p1'] } },
        SubscribeMessageDto,
        'filters.severities: each value in severities must be one of the following values',
      ],
      [
        { ...TYPICAL_SUBSCRIBE, filters: { sources: null } },
        SubscribeMessageDto,
        'filters.sources must be an array',
      ],
      [{ ...TYPICAL_SUBSCRIBE, filters: { incident_ids: ['x'] } }, SubscribeMessageDto, 'must be a UUID'],
      [{ ...TYPICAL_SUBSCRIBE, resume_from: -1 }, SubscribeMessageDto, 'resume_from must not be less than 0'],
      [
        { ...TYPICAL_SUBSCRIBE, resume_from: 1.5 },
        SubscribeMessageDto,
        'resume_from must be an integer number',
      ],
      [
        { ...TYPICAL_SUBSCRIBE, resume_from: null },
        SubscribeMessageDto,
        'resume_from must be an integer number',
      ],
      [{ ...TYPICAL_SUBSCRIBE, snapshot: 'true' }, SubscribeMessageDto, 'snapshot must be a boolean value'],
      [{ type: 'unsubscribe' }, UnsubscribeMessageDto, 'subscription_id is required'],
      [{ type: 'ping', timestamp: '2026-12-02' }, PingMessageDto, 'timestamp must be an RFC 3339 date-time'],
      [{ type: 'ack', message_id: 7 }, AckMessageDto, 'message_id must be a string'],
    ];
    for (const [message, metatype, text] of cases) {
      const json = JSON.stringify(message);
      const hooked = await pipe.hookedPipe(json, metatype);
      expect(hooked).toStrictEqual(await pipe.slowPath(json, metatype));
      expect(hooked.accepted).toBe(false);
      const error = hooked.accepted ? undefined : (hooked.error as { code: string; message: string });
      expect(error?.code).toBe('INVALID_MESSAGE');
      expect(error?.message.startsWith(prefix)).toBe(true);
      expect(error?.message).toContain(text);
    }
  });

  it('are tried for the message body only: other parameters pass through the pipe as before', async () => {
    const message = JSON.parse(JSON.stringify(TYPICAL_SUBSCRIBE)) as unknown;
    await expect(
      streamPipe.transform(message, { type: 'custom', metatype: SubscribeMessageDto }),
    ).resolves.toBe(message);
    await expect(
      streamPipe.transform(message, { type: 'body', metatype: SubscribeMessageDto }),
    ).resolves.toBeInstanceOf(SubscribeMessageDto);
  });
});
