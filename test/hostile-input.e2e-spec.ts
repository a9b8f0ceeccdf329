import request from 'supertest';
import { alertBody, amAlert, amWebhook, createIncident, incidentBody } from './support/fixtures';
import { grafanaAlert, grafanaWebhook } from './support/grafana-fixtures';
import { Route, registeredRoutes } from './support/routes';
import { describeOnEachStore } from './support/stores';
import { TestApp, startTestApp } from './support/test-app';

const long = (n: number): string => 'x'.repeat(n);

/** Raw JSON bodies no route accepts as they are; each must get a 4xx in the error body, never a 5xx. */
const HOSTILE_BODIES: [name: string, raw: string][] = [
  ['bad JSON', '{"name": '],
  ['nesting 10,000 levels deep', `{"labels": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`],
  [
    'NUL characters',
    '{"name":"\\u0000","source":"\\u0000","title":"t\\u0000","labels":{"k\\u0000":"\\u0000"}}',
  ],
  ['a __proto__ key', '{"__proto__":{"polluted":true},"name":"x"}'],
  ['constructor and prototype keys', '{"constructor":{"prototype":{"x":1}},"labels":{"prototype":"x"}}'],
  [
    'huge numbers',
    '{"level":1e400,"delay_minutes":99999999999999999999999,"seconds":-1e308,"repeat":9007199254740993}',
  ],
  ['wrong types', '{"name":1,"source":[],"title":{},"severity":true,"steps":"x","levels":{},"alerts":7}'],
  ['an array instead of an object', '[{"name":"x","source":"s"}]'],
  ['a bare string', '"hello"'],
  ['null', 'null'],
  ['an empty body', ''],
  ['oversized strings', JSON.stringify({ name: long(200_000), source: long(200_000), title: long(200_000) })],
];

/** Query strings no route should choke on. */
const HOSTILE_QUERIES: [name: string, query: string][] = [
  ['a page beyond 2^64', '?page=99999999999999999999'],
  ['after_sequence past 2^53', '?after_sequence=9007199254740993'],
  ['a limit in exponent notation', '?limit=1e400&page_size=-1'],
  // Alone, so that nothing else in the query is refused first: this one reached PostgreSQL.
  ['a NUL in source', '?source=%00'],
  ['a NUL in state', '?state=%00'],
  ['reserved keys', '?__proto__=x&constructor[prototype]=1'],
  ['wrong types and repeats', '?active_only=maybe&severity=P9&severity=&state[]=x&page=abc'],
  ['a 5,000-character value', `?source=${long(5_000)}`],
];

/** What each `:param` (and `*`) is replaced with: a real incident id, then ids no route accepts. */
const idVariants = (incidentId: string): [name: string, id: string][] => [
  ['a real incident id', incidentId],
  ['a 5,000-character id', long(5_000)],
  ['a non-UUID id', 'not-a-uuid'],
  ['a NUL id', '%00'],
];

/** A PagerDuty Events API v2 trigger with every optional part (AUTH_MODE=none: any routing key). */
const PAGERDUTY_EVENT = {
  routing_key: 'R0123456789abcdef0123456789abcd',
  event_action: 'trigger',
  dedup_key: 'hostile',
  payload: {
    summary: 's',
    source: 'h',
    severity: 'error',
    timestamp: '2026-01-01T00:00:00Z',
    component: 'c',
    group: 'g',
    class: 'k',
    custom_details: { text: 't', nested: { n: 1 } },
  },
  links: [{ href: 'https://x.io', text: 'l' }],
  images: [{ src: 'https://x.io/i.png', href: 'https://x.io', alt: 'a' }],
  client: 'c',
  client_url: 'https://x.io',
};

/**
 * The routes that speak PagerDuty's Events API v2 answer errors in PagerDuty's shape (`{status, message, errors}`),
 * as a sender written for PagerDuty expects, never the contract's `{"error": {...}}`.
 */
const PAGERDUTY_ROUTES = new Set(['/v2/enqueue', '/v1/integrations/pagerduty']);

/**
 * A valid body for every route that takes one (a new route fails 'has a valid body ...' until it gets one). Hostile
 * content inside an otherwise valid body gets past validation to the store: a NUL character in one field was a 500
 * on PostgreSQL only, and a reserved label key was dropped on both.
 */
const VALID_BODIES: Record<string, unknown> = {
  'POST /v1/alerts': alertBody({
    labels: { env: 'prod' },
    annotations: { a: 'b' },
    runbook_url: 'https://x.io/r',
  }),
  'POST /v1/incidents': incidentBody({ labels: { env: 'prod' }, affected_resources: ['db'] }),
  'PATCH /v1/incidents/:id': {
    state: 'Triaged',
    labels: { env: 'prod' },
    assignees: ['alice'],
    actor: 'bob',
  },
  'PUT /v1/incidents/:id': { state: 'Triaged', labels: { env: 'prod' }, assignees: ['alice'], actor: 'bob' },
  'POST /v1/incidents/:id/comments': { author: 'alice', comment: 'looking' },
  'POST /v1/incidents/:id/resolve': { resolved_by: 'alice', method: 'Manual', notes: 'n', root_cause: 'r' },
  'POST /v1/incidents/:id/escalate': { to_severity: 'P0', reason: 'worse' },
  'POST /v1/incidents/:id/close': { actor: 'alice' },
  'POST /v1/incidents/:id/acknowledge': { actor: 'alice' },
  'POST /v1/incidents/:id/playbooks/:playbookId/run': { actor: 'alice' },
  'POST /v1/integrations/alertmanager': amWebhook([amAlert('firing', { alertname: 'Hostile', env: 'prod' })]),
  'POST /v2/enqueue': PAGERDUTY_EVENT,
  'POST /v1/integrations/pagerduty': PAGERDUTY_EVENT,
  'POST /v1/integrations/grafana': grafanaWebhook([
    grafanaAlert('firing', { alertname: 'Hostile', env: 'prod' }),
  ]),
  'POST /v1/alerts/batch': {
    alerts: [alertBody({ labels: { env: 'prod' }, annotations: { a: 'b' }, dedup_key: 'k' }), alertBody()],
  },
  'POST /v1/escalation-policies': { name: 'p', description: 'd', levels: [{ level: 1, delay_minutes: 5 }] },
  'PUT /v1/escalation-policies/:id': { name: 'p', levels: [{ level: 1, delay_minutes: 5 }] },
  'POST /v1/playbooks': {
    name: 'pb',
    triggers: { labels: { env: 'prod' }, sources: ['s'] },
    steps: [{ name: 'label', action: { type: 'add_labels', labels: { k: 'v' } } }],
  },
  'PUT /v1/playbooks/:id': { name: 'pb', steps: [{ action: { type: 'wait', seconds: 1 } }] },
  'POST /v1/notification-channels': {
    name: 'c',
    type: 'webhook',
    url: 'http://127.0.0.1:9/x',
    headers: { 'X-A': 'b' },
  },
  'PUT /v1/notification-channels/:id': { name: 'c', type: 'webhook', url: 'http://127.0.0.1:9/x' },
  'POST /v1/system/events': { category: 'maintenance', message: 'm', metadata: { window: '15m' } },
  'POST /v1/api-keys': {
    name: 'k',
    scopes: ['incidents:read'],
    constraint: {
      labels: { env: 'prod' },
      label_matchers: [{ name: 'env', op: '=~', value: 'prod.*' }],
      min_severity: 'P1',
    },
    expires_at: '2999-01-01T00:00:00Z',
  },
  // A label no other alert of this spec carries: the silence must not suppress the health check's alert.
  'POST /v1/silences': {
    matchers: [
      { name: 'hostile_silence', op: '=', value: 'only' },
      { name: 'env', op: '=~', value: 'prod|staging' },
    ],
    starts_at: '2026-01-01T00:00:00Z',
    ends_at: '2999-01-01T00:00:00Z',
    created_by: 'alice',
    comment: 'maintenance',
  },
};

/**
 * Copies of `body` with one thing made hostile each: every string (and every key) in turn gains a NUL character,
 * every object in turn gains a reserved key.
 */
function poisoned(body: unknown): [name: string, raw: string][] {
  const variants: [string, string][] = [];
  const visit = (node: unknown, path: string, replace: (value: unknown) => unknown): void => {
    if (typeof node === 'string') {
      variants.push([`a NUL in ${path}`, JSON.stringify(replace(`${node}\u0000`))]);
    } else if (Array.isArray(node)) {
      node.forEach((item, i) =>
        visit(item, `${path}[${i}]`, (v) => replace(node.map((x, j) => (j === i ? v : x)))),
      );
    } else if (typeof node === 'object' && node !== null) {
      const entries = Object.entries(node);
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const withKey = Object.fromEntries(entries);
        // defineProperty: an own `__proto__` key, which JSON.stringify writes out (an assignment would not).
        Object.defineProperty(withKey, key, { value: 'x', enumerable: true });
        variants.push([`a ${key} key in ${path || 'the body'}`, JSON.stringify(replace(withKey))]);
      }
      if (entries.length > 0) {
        const [firstKey, firstValue] = entries[0];
        const nulKey = Object.fromEntries([[`${firstKey}\u0000`, firstValue], ...entries.slice(1)]);
        variants.push([`a NUL in a key of ${path || 'the body'}`, JSON.stringify(replace(nulKey))]);
      }
      for (const [key, value] of entries) {
        visit(value, path ? `${path}.${key}` : key, (v) => replace({ ...node, [key]: v }));
      }
    }
  };
  visit(body, '', (v) => v);
  return variants;
}

interface Failure {
  request: string;
  status: number;
  body: string;
}

describeOnEachStore('hostile input on every route', (store) => {
  let t: TestApp;
  let incidentId: string;
  let routes: Route[];

  beforeAll(async () => {
    t = await startTestApp({ ...store.overrides(), HTTP_RATE_LIMIT_PER_SECOND: '0' });
    incidentId = (await createIncident(t.baseUrl)).id;
    routes = registeredRoutes(t.app.getHttpAdapter().getInstance());
  });

  afterAll(async () => {
    await t?.cleanup();
  });

  it('finds the routes from the server itself', () => {
    expect(routes).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/v1/alerts' },
        { method: 'PATCH', path: '/v1/incidents/:id' },
        { method: 'POST', path: '/v1/incidents/:id/playbooks/:playbookId/run' },
        { method: 'DELETE', path: '/v1/notification-channels/:id' },
        { method: 'GET', path: '/health/ready' },
      ]),
    );
    expect(routes.length).toBeGreaterThanOrEqual(40);
  });

  it('has a valid body to poison for every route that takes a body', () => {
    const withBody = routes.filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method));
    expect(withBody.map((r) => `${r.method} ${r.path}`).filter((k) => !(k in VALID_BODIES))).toEqual([]);
  });

  it('answers every hostile request to every route below 500, with the error body on every 4xx', async () => {
    const failures: Failure[] = [];
    let sent = 0;
    const check = async (method: string, url: string, what: string, raw?: string): Promise<void> => {
      const response = await fetch(`${t.baseUrl}${url}`, {
        method,
        headers: raw === undefined ? {} : { 'content-type': 'application/json' },
        body: raw,
      });
      const text = await response.text();
      sent++;
      const { status } = response;
      const errorShape = PAGERDUTY_ROUTES.has(url.split('?')[0]) ? isPagerDutyErrorBody : isErrorBody;
      if (status >= 500 || (status >= 400 && !errorShape(text, status))) {
        failures.push({
          request: `${method} ${url.slice(0, 120)} with ${what}`,
          status,
          body: text.slice(0, 200),
        });
      }
    };

    for (const route of routes) {
      const hasParams = /[:*]/.test(route.path);
      const variants = hasParams ? idVariants(incidentId) : [['no parameter', '']];
      for (const [idName, id] of variants) {
        const path = route.path.replace(/:[A-Za-z]+|\*/g, id);
        // Every hostile input on the real id (or the parameterless route); one of each kind on the ids refused first.
        const full = idName === 'a real incident id' || idName === 'no parameter';
        const takesBody = route.method !== 'GET';
        const valid = VALID_BODIES[`${route.method} ${route.path}`];
        const bodies = !takesBody
          ? []
          : full
            ? [...HOSTILE_BODIES, ...(valid === undefined ? [] : poisoned(valid))]
            : HOSTILE_BODIES.slice(0, 1);
        const queries = full ? HOSTILE_QUERIES : HOSTILE_QUERIES.slice(0, 1);
        await Promise.all([
          ...bodies.map(([name, raw]) => check(route.method, path, `${idName} and ${name}`, raw)),
          ...queries.map(([name, query]) => check(route.method, `${path}${query}`, `${idName} and ${name}`)),
        ]);
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(800);
  });

  it('is still healthy afterwards: ready, ingesting, and the targeted incident readable', async () => {
    await request(t.baseUrl).get('/health/ready').expect(200);
    expect((await request(t.baseUrl).post('/v1/alerts').send(alertBody()).expect(200)).body.status).toBe(
      'Accepted',
    );
    await request(t.baseUrl).get(`/v1/incidents/${incidentId}`).expect(200);
  });
});

function isErrorBody(text: string, status: number): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; status?: unknown } };
    const { error } = body;
    return (
      Object.keys(body).length === 1 &&
      typeof error?.code === 'string' &&
      typeof error.message === 'string' &&
      error.status === status
    );
  } catch {
    return false;
  }
}

function isPagerDutyErrorBody(text: string): boolean {
  try {
    const body = JSON.parse(text) as { status?: unknown; message?: unknown; errors?: unknown };
    return (
      Object.keys(body).length === 3 &&
      typeof body.status === 'string' &&
      typeof body.message === 'string' &&
      Array.isArray(body.errors) &&
      body.errors.length > 0 &&
      body.errors.every((e) => typeof e === 'string')
    );
  } catch {
    return false;
  }
}
