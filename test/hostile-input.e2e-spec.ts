import type { FastifyInstance } from 'fastify';
import request from 'supertest';
import { alertBody, createIncident } from './support/fixtures';
import { describeOnEachStore } from './support/stores';
import { TestApp, startTestApp } from './support/test-app';

interface Route {
  method: string;
  /** As registered, with `:param` and `*` placeholders. */
  path: string;
}

/**
 * Every route the HTTP server registers, read from Fastify's route tree (`printRoutes`), so that a route added later
 * is covered without editing this spec. HEAD (Fastify adds one per GET) is left out. Each line of the tree is
 * `<4 characters per level>├── <segment> (<METHODS>)`; a route's path is its ancestors' segments joined.
 */
function registeredRoutes(fastify: FastifyInstance): Route[] {
  const routes: Route[] = [];
  const ancestors: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.+?)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!match) continue;
    const depth = match[1].length / 4;
    ancestors.length = depth;
    ancestors.push(match[2]);
    for (const method of (match[3] ?? '').split(', ').filter((m) => m !== '' && m !== 'HEAD')) {
      routes.push({ method, path: ancestors.join('') });
    }
  }
  return routes;
}

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
  [
    'numbers out of range',
    '?page=99999999999999999999&page_size=-1&limit=1e400&after_sequence=9007199254740993',
  ],
  ['NUL characters and reserved keys', '?source=%00&state=%00&__proto__=x&constructor[prototype]=1'],
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
      if (status >= 500 || (status >= 400 && !isErrorBody(text, status))) {
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
        const bodies = takesBody ? (full ? HOSTILE_BODIES : HOSTILE_BODIES.slice(0, 1)) : [];
        const queries = full ? HOSTILE_QUERIES : HOSTILE_QUERIES.slice(0, 1);
        await Promise.all([
          ...bodies.map(([name, raw]) => check(route.method, path, `${idName} and ${name}`, raw)),
          ...queries.map(([name, query]) => check(route.method, `${path}${query}`, `${idName} and ${name}`)),
        ]);
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(400);
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
