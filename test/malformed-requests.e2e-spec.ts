import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { alertBody, createIncident, incidentBody } from './support/fixtures';
import { startTestApp, TestApp } from './support/test-app';

type Method = 'get' | 'post' | 'patch' | 'put';

interface Case {
  name: string;
  method: Method;
  path: string | ((incidentId: string) => string);
  /** An object is sent as JSON; a string is sent raw with content-type application/json (or `contentType`). */
  body?: unknown;
  /** The Content-Type of a string body, when it is not application/json. */
  contentType?: string;
  status: number;
  code: string;
  /** What the message must say, when the case is about a clear answer. */
  message?: RegExp;
}

const long = (n: number): string => 'x'.repeat(n);
const manyLabels = (n: number): Record<string, string> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';
const incident =
  (suffix = '') =>
  (id: string) =>
    `/v1/incidents/${id}${suffix}`;

/** `{"labels": [[[...]]]}` nested `depth` arrays deep, as raw JSON (an object this deep would not stringify). */
const deeplyNested = (depth: number): string => `{"labels": ${'['.repeat(depth)}${']'.repeat(depth)}}`;

const cases: Case[] = [
  {
    name: 'a 5,000-character id (over the path parameter limit)',
    method: 'get',
    path: `/v1/incidents/${long(5000)}`,
    status: 414,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'a URL that does not percent-decode',
    method: 'get',
    path: '/v1/incidents/%E0%A4%A',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'a 60 KB URL (over the header size limit)',
    method: 'get',
    path: `/v1/incidents?source=${long(60_000)}`,
    status: 431,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'labels nested 10,000 arrays deep (alert)',
    method: 'post',
    path: '/v1/alerts',
    body: deeplyNested(10_000),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'labels nested 10,000 arrays deep (incident)',
    method: 'post',
    path: '/v1/incidents',
    body: deeplyNested(10_000),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'page beyond 2^64',
    method: 'get',
    path: '/v1/incidents?page=99999999999999999999',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'page that a JavaScript number would round (2^53 + 1)',
    method: 'get',
    path: '/v1/incidents?page=9007199254740993',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'page over the maximum',
    method: 'get',
    path: '/v1/incidents?page=1000001',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'after_sequence beyond 2^64',
    method: 'get',
    path: '/v1/events?after_sequence=99999999999999999999',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'after_sequence beyond 2^64 on an incident',
    method: 'get',
    path: incident('/events?after_sequence=99999999999999999999'),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'bad JSON',
    method: 'post',
    path: '/v1/alerts',
    body: '{bad',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'truncated JSON',
    method: 'post',
    path: '/v1/alerts',
    body: '{"source":"a"',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'JSON array instead of object',
    method: 'post',
    path: '/v1/alerts',
    body: '[]',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'JSON string instead of object',
    method: 'post',
    path: '/v1/alerts',
    body: '"hello"',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'JSON null body',
    method: 'post',
    path: '/v1/alerts',
    body: 'null',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  { name: 'empty body', method: 'post', path: '/v1/alerts', body: '', status: 400, code: 'VALIDATION_ERROR' },
  {
    name: 'missing source',
    method: 'post',
    path: '/v1/alerts',
    body: { ...alertBody(), source: undefined },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'empty source',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ source: '' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'source over 255',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ source: long(256) }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'title over 500',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ title: long(501) }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'description over 10000',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ description: long(10_001) }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'description of wrong type',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ description: { a: 1 } }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'unknown severity P5',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ severity: 'P5' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'severity in wrong case',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ severity: 'p1' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'severity as number',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ severity: 1 }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'unknown alert_type',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ alert_type: 'Network' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'null source',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ source: null }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'null labels',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ labels: null }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'null annotations',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ annotations: null }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'labels as array',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ labels: ['a'] }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'label value not a string',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ labels: { a: 1 } }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: '65 labels',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ labels: manyLabels(65) }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'label key over 128',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ labels: { [long(129)]: 'v' } }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'label value over 1024',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ labels: { k: long(1025) } }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: '65 annotations',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ annotations: manyLabels(65) }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'affected_services as string',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ affected_services: 'api' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: '65 affected services',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ affected_services: Array.from({ length: 65 }, (_, i) => `s${i}`) }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'affected service not a string',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ affected_services: [1] }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'runbook_url not a URL',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ runbook_url: 'see wiki' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body over 1 MiB',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ description: long(1_100_000) }),
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'incident without incident_type',
    method: 'post',
    path: '/v1/incidents',
    body: { ...incidentBody(), incident_type: undefined },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'incident with unknown incident_type',
    method: 'post',
    path: '/v1/incidents',
    body: incidentBody({ incident_type: 'Weather' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'incident id not a UUID',
    method: 'get',
    path: '/v1/incidents/not-a-uuid',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'incident id a number',
    method: 'get',
    path: '/v1/incidents/123',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'alert id not a UUID',
    method: 'get',
    path: '/v1/alerts/zzz',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'unknown incident',
    method: 'get',
    path: `/v1/incidents/${NO_SUCH_ID}`,
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'PATCH unknown incident',
    method: 'patch',
    path: `/v1/incidents/${NO_SUCH_ID}`,
    body: { state: 'Triaged' },
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'PATCH unknown state',
    method: 'patch',
    path: incident(),
    body: { state: 'Done' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'PATCH null severity',
    method: 'patch',
    path: incident(),
    body: { severity: null },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'PATCH assignees as string',
    method: 'patch',
    path: incident(),
    body: { assignees: 'bob' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'PUT labels with null value',
    method: 'put',
    path: incident(),
    body: { labels: { a: null } },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'resolve with unknown method',
    method: 'post',
    path: incident('/resolve'),
    body: { resolved_by: 'a', method: 'Auto', notes: '' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'resolve without resolved_by',
    method: 'post',
    path: incident('/resolve'),
    body: { method: 'Manual', notes: '' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'empty comment',
    method: 'post',
    path: incident('/comments'),
    body: { author: 'a', comment: '' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'comment without author',
    method: 'post',
    path: incident('/comments'),
    body: { comment: 'c' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'escalate to unknown severity',
    method: 'post',
    path: incident('/escalate'),
    body: { to_severity: 'P7', reason: 'r' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'close with null actor',
    method: 'post',
    path: incident('/close'),
    body: { actor: null },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'list with page not a number',
    method: 'get',
    path: '/v1/incidents?page=abc',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'alertmanager alerts not an array',
    method: 'post',
    path: '/v1/integrations/alertmanager',
    body: { version: '4', alerts: {} },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'alertmanager label value not a string',
    method: 'post',
    path: '/v1/integrations/alertmanager',
    body: { version: '4', alerts: [{ status: 'firing', labels: { a: 1 } }] },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'alertmanager bad startsAt',
    method: 'post',
    path: '/v1/integrations/alertmanager',
    body: { version: '4', alerts: [{ status: 'firing', labels: {}, startsAt: 'yesterday' }] },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'a NUL character in source (PostgreSQL text cannot hold one)',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ source: '\u0000' }),
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^source must not contain a NUL character/,
  },
  {
    name: 'a NUL character in a label value',
    method: 'post',
    path: '/v1/incidents',
    body: incidentBody({ labels: { env: 'pr\u0000od' } }),
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^labels\.env must not contain a NUL character/,
  },
  {
    name: 'a NUL character in a label key',
    method: 'patch',
    path: incident(),
    body: { labels: { 'e\u0000nv': 'prod' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^labels has a key with a NUL character/,
  },
  {
    name: 'a NUL character in a definition name',
    method: 'post',
    path: '/v1/notification-channels',
    body: { name: 'a\u0000b', type: 'webhook', url: 'http://127.0.0.1:9/x' },
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^name must not contain a NUL character/,
  },
  {
    name: 'a NUL character in a query parameter',
    method: 'get',
    path: '/v1/incidents?source=%00',
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^source must not contain a NUL character/,
  },
  {
    name: 'a NUL character in an Alertmanager label',
    method: 'post',
    path: '/v1/integrations/alertmanager',
    body: { version: '4', alerts: [{ status: 'firing', labels: { alertname: '\u0000' } }] },
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^alerts\[0\]\.labels\.alertname must not contain a NUL character/,
  },
  ...['constructor', 'prototype'].map((key): Case => ({
    name: `a "${key}" label key (was silently dropped)`,
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ labels: { [key]: 'x', env: 'prod' } }),
    status: 400,
    code: 'VALIDATION_ERROR',
    message: new RegExp(`^labels has the reserved key "${key}"`),
  })),
  {
    name: 'a "constructor" annotation key on an incident update',
    method: 'put',
    path: incident(),
    body: { labels: { constructor: 'x' } },
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^labels has the reserved key "constructor"/,
  },
  {
    name: 'a "prototype" label key in an Alertmanager alert',
    method: 'post',
    path: '/v1/integrations/alertmanager',
    body: { version: '4', alerts: [{ status: 'firing', labels: { prototype: 'x' } }] },
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^alerts\[0\]\.labels has the reserved key "prototype"/,
  },
  {
    name: 'an empty alert: the missing required fields are named',
    method: 'post',
    path: '/v1/alerts',
    body: {},
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^(?!.*shorter)(?=.*\bsource is required)(?=.*\btitle is required)(?=.*\bseverity is required)/,
  },
  {
    name: 'a present but invalid value keeps its informative message',
    method: 'post',
    path: '/v1/alerts',
    body: alertBody({ description: { a: 1 } }),
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^description must be a string$/,
  },
  {
    name: 'resolve without resolved_by names it as required',
    method: 'post',
    path: incident('/resolve'),
    body: { method: 'Manual', notes: '' },
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^resolved_by is required$/,
  },
  {
    name: 'an Alertmanager alert without status names the nested field',
    method: 'post',
    path: '/v1/integrations/alertmanager',
    body: { version: '4', alerts: [{ labels: {} }] },
    status: 400,
    code: 'VALIDATION_ERROR',
    message: /^alerts\.0\.status is required$/,
  },
  {
    name: 'unknown route',
    method: 'post',
    path: '/v1/nothing-here',
    body: {},
    status: 404,
    code: 'NOT_FOUND',
  },
  // A browser sends these three content types cross-site without a CORS preflight: none of them may act.
  {
    name: 'a JSON alert sent as text/plain',
    method: 'post',
    path: '/v1/alerts',
    body: JSON.stringify(alertBody()),
    contentType: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: /application\/json/,
  },
  {
    name: 'a system event sent as text/plain;charset=UTF-8 (what fetch sends for a string body)',
    method: 'post',
    path: '/v1/system/events',
    body: JSON.stringify({ category: 'maintenance', message: 'm' }),
    contentType: 'text/plain;charset=UTF-8',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a notification channel sent as a form (application/x-www-form-urlencoded)',
    method: 'post',
    path: '/v1/notification-channels',
    body: 'name=x&type=webhook&url=http%3A%2F%2F127.0.0.1%3A9%2F',
    contentType: 'application/x-www-form-urlencoded',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'an incident sent as multipart/form-data',
    method: 'post',
    path: '/v1/incidents',
    body: '--b\r\nContent-Disposition: form-data; name="title"\r\n\r\nt\r\n--b--\r\n',
    contentType: 'multipart/form-data; boundary=b',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'an empty text/plain body on close (an empty cross-site form)',
    method: 'post',
    path: incident('/close'),
    body: '',
    contentType: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'application/json-seq (records, not one JSON value)',
    method: 'post',
    path: '/v1/alerts',
    body: `\u001e${JSON.stringify(alertBody())}\n`,
    contentType: 'application/json-seq',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'a Content-Type that is not a media type',
    method: 'post',
    path: '/v1/alerts',
    body: JSON.stringify(alertBody()),
    contentType: 'json',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
];

describe('malformed requests', () => {
  let t: TestApp;
  let incidentId: string;

  beforeAll(async () => {
    t = await startTestApp();
    incidentId = (await createIncident(t.baseUrl)).id;
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('has a table of at least 30 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    '%s -> the right 4xx with the error body',
    async (_name, c) => {
      const path = typeof c.path === 'function' ? c.path(incidentId) : c.path;
      let req = request(t.baseUrl)[c.method](path);
      if (typeof c.body === 'string') {
        req = req.set('content-type', c.contentType ?? 'application/json').send(c.body);
      } else if (c.body !== undefined) req = req.send(c.body as object);
      const res = await req;
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect({ status: res.status, body: res.body }).toEqual({
        status: c.status,
        body: { error: { code: c.code, message: expect.any(String), status: c.status } },
      });
      if (c.message) expect(res.body.error.message).toMatch(c.message);
    },
  );

  it('still serves normally after all of them, and the incident they targeted is unchanged', async () => {
    await request(t.baseUrl).get('/health/ready').expect(200);
    const ok = await request(t.baseUrl).post('/v1/alerts').send(alertBody()).expect(200);
    expect(ok.body.status).toBe('Accepted');
    const stored = (await request(t.baseUrl).get(`/v1/incidents/${incidentId}`).expect(200)).body;
    expect(stored.state).toBe('Detected');
    expect(stored.timeline).toHaveLength(1);
  });

  it('ignores unknown top-level fields', async () => {
    const res = await request(t.baseUrl)
      .post('/v1/alerts')
      .send({ ...alertBody(), extra: 'ignored' })
      .expect(200);
    expect(res.body.status).toBe('Accepted');
  });

  /** A valid alert body as raw JSON with `members` spliced in first into the object that `opening` starts. */
  const spliced = (members: string, opening = '{'): string =>
    JSON.stringify(alertBody()).replace(opening, `${opening}${members},`);

  it.each([
    ['a top-level __proto__ key', spliced('"__proto__":{"polluted":true}')],
    ['a __proto__ key nested in labels', spliced('"__proto__":{"polluted":"yes"}', '"labels":{')],
    ['a constructor.prototype path', spliced('"constructor":{"prototype":{"polluted":true}}')],
  ])('refuses a body with %s: 400 VALIDATION_ERROR, nothing polluted', async (_what, raw) => {
    const res = await request(t.baseUrl).post('/v1/alerts').set('content-type', 'application/json').send(raw);
    expect({ status: res.status, body: res.body }).toEqual({
      status: 400,
      body: {
        error: { code: 'VALIDATION_ERROR', message: expect.stringMatching(/prototype/), status: 400 },
      },
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('request bodies are accepted only as JSON', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  /** A POST written with node:http, which adds no Content-Type of its own (supertest and fetch do). */
  const rawPost = (path: string, body: string): Promise<{ status: number; body: unknown }> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(t.baseUrl);
      const req = httpRequest(
        {
          host: hostname,
          port,
          path,
          method: 'POST',
          headers: { 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as unknown }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  it('refuses a body sent without Content-Type: 415, and nothing is created', async () => {
    const res = await rawPost('/v1/system/events', JSON.stringify({ category: 'maintenance', message: 'm' }));
    expect(res).toEqual({
      status: 415,
      body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.any(String), status: 415 } },
    });
    const events = (await request(t.baseUrl).get('/v1/events?after_sequence=0&limit=1000').expect(200)).body
      .events as { event: { event_type: string; message?: string } }[];
    expect(events.filter((e) => e.event.event_type === 'system_event' && e.event.message === 'm')).toEqual(
      [],
    );
  });

  it('creates nothing from a cross-site form or text/plain POST', async () => {
    await request(t.baseUrl)
      .post('/v1/notification-channels')
      .set('content-type', 'text/plain')
      .send(JSON.stringify({ name: 'csrf', type: 'webhook', url: 'http://127.0.0.1:9/x' }))
      .expect(415);
    const { channels } = (await request(t.baseUrl).get('/v1/notification-channels').expect(200)).body;
    expect(channels).toEqual([]);
  });

  it('still runs a request without a body and without Content-Type (close with nothing)', async () => {
    const { id } = await createIncident(t.baseUrl);
    const res = await request(t.baseUrl).post(`/v1/incidents/${id}/close`).expect(200);
    expect(res.body.state).toBe('Closed');
  });

  it.each([
    ['application/json; charset=utf-8'],
    ['Application/JSON'],
    ['application/vnd.incident+json'],
    ['application/merge-patch+json; charset=utf-8'],
  ])('accepts a JSON body sent as %s', async (contentType) => {
    const res = await request(t.baseUrl)
      .post('/v1/alerts')
      .set('content-type', contentType)
      .send(JSON.stringify(alertBody()))
      .expect(200);
    expect(res.body.status).toMatch(/^(Accepted|Duplicate)$/);
  });
});
