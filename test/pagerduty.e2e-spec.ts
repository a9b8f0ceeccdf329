import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { withoutNodeLabel } from './support/metrics-text';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Alert, Incident } from '../src/domain';
import type { IncidentUpdatedEvent } from '../src/events/event.types';
import { EventCapture } from './support/event-capture';
import { eventually } from './support/eventually';
import { TestApp, startTestApp } from './support/test-app';

/** Bodies captured from Alertmanager 0.25's pagerduty receiver (test/fixtures/pagerduty, copied from ../shared/fixtures/pagerduty). */
const FIXTURES = join(__dirname, 'fixtures', 'pagerduty');
const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as Record<string, unknown>;
const AM_TRIGGER = fixture('alertmanager-0.25-trigger.json');
const AM_RESOLVE = fixture('alertmanager-0.25-resolve.json');
const AM_DEDUP_KEY = AM_TRIGGER.dedup_key as string;

/** PagerDuty's documented example trigger (developer docs, "Send an Alert Event"), with a key of its own. */
const docsExample = (dedupKey: string): Record<string, unknown> => ({
  payload: {
    summary: 'Example alert on host1.example.com',
    timestamp: '2015-07-17T08:42:58.315+0000',
    source: 'monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003',
    severity: 'info',
    component: 'postgres',
    group: 'prod-datapipe',
    class: 'deploy',
    custom_details: { 'ping time': '1500ms', 'load avg': 0.75, disk: { free: '1%', mounts: ['/', '/data'] } },
  },
  routing_key: 'samplekeyhere',
  dedup_key: dedupKey,
  images: [
    {
      src: 'https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png',
      href: 'https://example.com/',
      alt: 'Example text',
    },
  ],
  links: [{ href: 'https://example.com/', text: 'Link text' }],
  event_action: 'trigger',
  client: 'Sample Monitoring Service',
  client_url: 'https://monitoring.example.com',
});

const trigger = (overrides: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) => ({
  routing_key: 'any-key-in-open-mode',
  event_action: 'trigger',
  payload: { summary: 'Disk almost full', source: 'db-7', severity: 'warning', ...payload },
  ...overrides,
});

const ROUTES = ['/v2/enqueue', '/v1/integrations/pagerduty'];

describe.each(ROUTES)('PagerDuty Events API v2 at %s (AUTH_MODE=none)', (path) => {
  let t: TestApp;
  let events: EventCapture;

  beforeAll(async () => {
    t = await startTestApp();
    events = new EventCapture(t.app);
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  beforeEach(() => events.clear());

  const send = (body: unknown) =>
    request(t.baseUrl)
      .post(path)
      .send(body as object);
  const incident = async (id: string): Promise<Incident> =>
    (await request(t.baseUrl).get(`/v1/incidents/${id}`).expect(200)).body as Incident;
  const incidentIdOf = () => {
    const created = events.envelopes.find((e) => e.event.event_type === 'incident_created');
    if (!created?.incident) throw new Error('no incident_created');
    return created.incident.id;
  };

  it("takes Alertmanager's trigger, a duplicate of it, then its resolve, answering as PagerDuty does", async () => {
    const first = await send(AM_TRIGGER).expect(202);
    expect(first.headers['content-type']).toMatch(/^application\/json/);
    expect(first.body).toEqual({ status: 'success', message: 'Event processed', dedup_key: AM_DEDUP_KEY });
    expect(events.types).toEqual(['alert_received', 'alert_converted', 'incident_created']);
    const id = incidentIdOf();
    const created = await incident(id);
    expect(created).toMatchObject({
      state: 'Detected',
      severity: 'P1',
      source: 'Alertmanager',
      title: '[FIRING:1] DiskFull (db-7:9100 db critical)',
      description: '',
      incident_type: 'Unknown',
    });
    // String-valued custom details are labels; client and client_url annotations (annotation_<key> on the incident).
    const details = (AM_TRIGGER.payload as { custom_details: Record<string, string> }).custom_details;
    expect(created.labels).toMatchObject({
      firing: details.firing,
      num_firing: '1',
      num_resolved: '0',
      resolved: '',
      annotation_client: 'Alertmanager',
      annotation_client_url: AM_TRIGGER.client_url,
    });
    const [alert] = (await request(t.baseUrl).get(`/v1/incidents/${id}/alerts`).expect(200)).body
      .alerts as Alert[];
    expect(alert).toMatchObject({ external_id: AM_DEDUP_KEY, severity: 'P1', alert_type: 'Unknown' });

    events.clear();
    expect((await send(AM_TRIGGER).expect(202)).body.dedup_key).toBe(AM_DEDUP_KEY);
    expect(events.types).toEqual(['alert_received', 'incident_updated']);
    expect(events.envelopes[0].incident?.id).toBe(id);

    events.clear();
    expect((await send(AM_RESOLVE).expect(202)).body).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: AM_DEDUP_KEY,
    });
    expect(events.types).toEqual(['incident_resolved']);
    expect((await incident(id)).resolution).toMatchObject({
      resolved_by: 'pagerduty',
      resolution_method: 'Automated',
    });

    // Resolved: the key's next trigger opens a new incident (PagerDuty: a new alert).
    events.clear();
    await send(AM_TRIGGER).expect(202);
    expect(events.types).toEqual(['alert_received', 'alert_converted', 'incident_created']);
    expect(incidentIdOf()).not.toBe(id);
    await send(AM_RESOLVE).expect(202);
  });

  it("maps PagerDuty's documented example: PD-CEF labels, nested custom details, links, images, timestamp", async () => {
    await send(docsExample(`docs-${path}`)).expect(202);
    const created = await incident(incidentIdOf());
    expect(created).toMatchObject({
      severity: 'P3',
      source: 'monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003',
      title: 'Example alert on host1.example.com',
    });
    expect(created.labels).toEqual({
      component: 'postgres',
      group: 'prod-datapipe',
      class: 'deploy',
      'ping time': '1500ms',
      'annotation_load avg': '0.75',
      annotation_disk: '{"free":"1%","mounts":["/","/data"]}',
      annotation_client: 'Sample Monitoring Service',
      annotation_client_url: 'https://monitoring.example.com',
      annotation_links: '[{"href":"https://example.com/","text":"Link text"}]',
      annotation_images:
        '[{"src":"https://www.pagerduty.com/wp-content/uploads/2016/05/pagerduty-logo-green.png","href":"https://example.com/","alt":"Example text"}]',
    });
    const [alert] = (await request(t.baseUrl).get(`/v1/incidents/${created.id}/alerts`).expect(200)).body
      .alerts as Alert[];
    expect(alert.timestamp).toBe('2015-07-17T08:42:58.315Z');
  });

  it.each([
    ['critical', 'P0'],
    ['error', 'P1'],
    ['warning', 'P2'],
    ['info', 'P3'],
  ])('maps severity %s to %s', async (severity, expected) => {
    await send(trigger({}, { severity, summary: `severity ${severity} ${path}` })).expect(202);
    expect((await incident(incidentIdOf())).severity).toBe(expected);
  });

  it('makes a dedup_key for a trigger without one (each such trigger is a new incident)', async () => {
    const a = (await send(trigger()).expect(202)).body as { dedup_key: string };
    const b = (await send(trigger()).expect(202)).body as { dedup_key: string };
    expect(a.dedup_key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b.dedup_key).not.toBe(a.dedup_key);
    expect(events.types.filter((type) => type === 'incident_created')).toHaveLength(2);
  });

  it('cuts a summary over 500 characters to the title, keeping it whole as the description', async () => {
    const summary = 's'.repeat(1024);
    await send(trigger({}, { summary })).expect(202);
    const created = await incident(incidentIdOf());
    expect(created.title).toHaveLength(500);
    expect(created.title.endsWith('…')).toBe(true);
    expect(created.description).toBe(summary);
  });

  it('acknowledges the Detected incident with the key (Triaged), once; an unknown key changes nothing', async () => {
    const dedupKey = `ack-${path}`;
    await send(trigger({ dedup_key: dedupKey })).expect(202);
    const id = incidentIdOf();
    events.clear();
    const ack = { routing_key: 'x', event_action: 'acknowledge', dedup_key: dedupKey };
    expect((await send(ack).expect(202)).body).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: dedupKey,
    });
    expect(events.types).toEqual(['incident_updated']);
    expect((events.envelopes[0].event as IncidentUpdatedEvent).previous_state).toBe('Detected');
    const acked = await incident(id);
    expect(acked.state).toBe('Triaged');
    expect(acked.timeline.at(-1)).toMatchObject({ event_type: 'StateChanged', actor: 'pagerduty' });

    events.clear();
    await send(ack).expect(202);
    await send({ ...ack, dedup_key: 'never-triggered' }).expect(202);
    await send({ ...ack, event_action: 'resolve', dedup_key: 'never-triggered' }).expect(202);
    expect(events.types).toEqual([]);

    // A trigger while acknowledged joins it; resolve resolves it (from Triaged).
    await send(trigger({ dedup_key: dedupKey })).expect(202);
    expect(events.envelopes.at(-1)?.incident?.id).toBe(id);
    await send({ ...ack, event_action: 'resolve' }).expect(202);
    expect((await incident(id)).state).toBe('Resolved');
  });

  it('stops the escalation of an incident it acknowledges', async () => {
    const policy = (
      await request(t.baseUrl)
        .post('/v1/escalation-policies')
        .send({ name: `pd-ack-${path}`, levels: [{ level: 1, delay_minutes: 60 }] })
        .expect(201)
    ).body as { id: string };
    try {
      const dedupKey = `escalating-${path}`;
      await send(trigger({ dedup_key: dedupKey })).expect(202);
      const id = incidentIdOf();
      const escalation = async () => (await request(t.baseUrl).get(`/v1/incidents/${id}/escalation`)).body;
      await eventually(async () => (await escalation()).status === 'active', 2000, 'attached');
      await send({ routing_key: 'x', event_action: 'acknowledge', dedup_key: dedupKey }).expect(202);
      await eventually(async () => (await escalation()).status === 'stopped', 2000, 'stopped');
      expect((await escalation()).stop_reason).toBe('acknowledged');
    } finally {
      await request(t.baseUrl).delete(`/v1/escalation-policies/${policy.id}`).expect(204);
    }
  });

  const invalid = (errors: string[]) => ({
    status: 'invalid event',
    message: 'Event object is invalid',
    errors,
  });

  it.each<[string, unknown, string[]]>([
    ['an empty object', {}, ["'routing_key' is missing or blank", "'event_action' is missing or blank"]],
    ['a blank routing key', trigger({ routing_key: '' }), ["'routing_key' is missing or blank"]],
    ['a number routing key', trigger({ routing_key: 42 }), ["'routing_key' must be a string"]],
    [
      'an unknown action',
      trigger({ event_action: 'snooze' }),
      ["'event_action' is invalid (must be one of the following: 'trigger', 'acknowledge' or 'resolve')"],
    ],
    ['a trigger without payload', trigger({ payload: undefined }), ["'payload' is missing or blank"]],
    ['a null payload', trigger({ payload: null }), ["'payload' is missing or blank"]],
    ['a string payload', trigger({ payload: 'disk full' }), ["'payload' must be an object"]],
    [
      'a payload missing everything',
      trigger({ payload: {} }),
      [
        "'payload.summary' is missing or blank",
        "'payload.source' is missing or blank",
        "'payload.severity' is missing or blank",
      ],
    ],
    [
      'an unknown severity',
      trigger({}, { severity: 'none' }),
      [
        "'payload.severity' is invalid (must be one of the following: 'critical', 'warning', 'error' or 'info')",
      ],
    ],
    [
      'a summary over 1024 characters',
      trigger({}, { summary: 'x'.repeat(1025) }),
      ["Length of 'payload.summary' is incorrect (should be at most 1024 characters)"],
    ],
    [
      'a dedup_key over 255 characters',
      trigger({ dedup_key: 'k'.repeat(256) }),
      ["Length of 'dedup_key' is incorrect (should be at most 255 characters)"],
    ],
    ['a null dedup_key', trigger({ dedup_key: null }), ["'dedup_key' must be a string"]],
    [
      'an acknowledge without dedup_key',
      { routing_key: 'x', event_action: 'acknowledge' },
      ["'dedup_key' is missing or blank"],
    ],
    [
      'a resolve with a blank dedup_key',
      { routing_key: 'x', event_action: 'resolve', dedup_key: '' },
      ["'dedup_key' is missing or blank"],
    ],
    ['a number summary', trigger({}, { summary: 7 }), ["'payload.summary' must be a string"]],
    ['a null component', trigger({}, { component: null }), ["'payload.component' must be a string"]],
    [
      'a timestamp that is not ISO 8601',
      trigger({}, { timestamp: 'yesterday' }),
      ["'payload.timestamp' is invalid (must be an ISO 8601 timestamp)"],
    ],
    ['links not an array', trigger({ links: { href: 'x' } }), ["'links' must be an array"]],
    [
      'a link without href and an image without src',
      trigger({ links: [{ text: 't' }], images: [{ src: 'https://x/i.png' }, 'img'] }),
      ["'links[0].href' is missing or blank", "'images[1]' must be an object"],
    ],
    ['a number client', trigger({ client: 1 }), ["'client' must be a string"]],
    ['an array body', [trigger()], ['Event object must be a JSON object']],
  ])("refuses %s with 400 in PagerDuty's shape", async (_what, body, errors) => {
    const res = await request(t.baseUrl)
      .post(path)
      .set('content-type', 'application/json')
      .send(JSON.stringify(body))
      .expect(400);
    expect(res.body).toEqual(invalid(errors));
    expect(events.types).toEqual([]);
  });

  it("answers what the body parser refuses in PagerDuty's shape too", async () => {
    const raw = (body: string, type = 'application/json') =>
      request(t.baseUrl).post(path).set('content-type', type).send(body);
    expect((await raw('{"routing_key": ').expect(400)).body).toEqual({
      status: 'Unrecognized object',
      message: 'Event object format is unrecognized',
      errors: ['JSON parse error'],
    });
    expect((await raw('null').expect(400)).body).toEqual(invalid(['Event object must be a JSON object']));
    const proto = await raw('{"routing_key":"x","event_action":"trigger","__proto__":{"a":1}}').expect(400);
    expect(proto.body).toEqual(
      invalid(['Malformed JSON body: Object contains forbidden prototype property']),
    );
    const nul = await raw(JSON.stringify(trigger({}, { summary: 'a\u0000b' }))).expect(400);
    expect(nul.body.errors).toEqual(['payload.summary must not contain a NUL character (\\u0000)']);
    const form = await raw('routing_key=x&event_action=trigger', 'application/x-www-form-urlencoded').expect(
      415,
    );
    expect(form.body).toMatchObject({ status: 'unsupported media type', errors: [expect.any(String)] });
    expect(events.types).toEqual([]);
  });

  it("refuses an event over PagerDuty's 512 KB with 413, before reading it all", async () => {
    const big = trigger({}, { custom_details: { blob: 'x'.repeat(512 * 1024) } });
    const res = await request(t.baseUrl).post(path).send(big).expect(413);
    expect(res.body).toEqual(invalid(['Event object exceeds the size limit of 512 KB']));
    // Just under the limit is taken (the value is cut to fit a label).
    const fits = trigger({}, { custom_details: { blob: 'x'.repeat(500 * 1024) } });
    await request(t.baseUrl).post(path).send(fits).expect(202);
  });
});

describe('PagerDuty Events API v2 with AUTH_MODE=required: the routing key is the credential', () => {
  let t: TestApp;
  let dir: string;
  let admin: string;

  const keyWith = async (scopes: string[]): Promise<{ id: string; key: string }> =>
    (
      await request(t.baseUrl)
        .post('/v1/api-keys')
        .set('authorization', `Bearer ${admin}`)
        .send({ name: `pd-${Math.random().toString(36).slice(2)}`, scopes })
        .expect(201)
    ).body as { id: string; key: string };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-pd-'));
    t = await startTestApp({
      AUTH_MODE: 'required',
      ADMIN_KEY_FILE: join(dir, 'admin.key'),
      INGEST_RATE_LIMIT_PER_KEY: '2',
    });
    admin = readFileSync(join(dir, 'admin.key'), 'utf8').trim();
  });

  afterAll(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const routingKeyError = (errors: string[]) => ({
    status: 'invalid event',
    message: 'Event object is invalid',
    errors,
  });

  it('accepts an API key with alerts:write as routing_key, with no Authorization header', async () => {
    const { key } = await keyWith(['alerts:write']);
    const res = await request(t.baseUrl)
      .post('/v2/enqueue')
      .send({ ...AM_TRIGGER, routing_key: key })
      .expect(202);
    expect(res.body.dedup_key).toBe(AM_DEDUP_KEY);
    await request(t.baseUrl)
      .post('/v1/integrations/pagerduty')
      .send({ ...AM_RESOLVE, routing_key: key })
      .expect(202);
  });

  it('refuses a missing, unknown, revoked or under-scoped routing key with 400, as PagerDuty does', async () => {
    const reader = await keyWith(['incidents:read']);
    const revoked = await keyWith(['alerts:write']);
    await request(t.baseUrl)
      .delete(`/v1/api-keys/${revoked.id}`)
      .set('authorization', `Bearer ${admin}`)
      .expect(204);
    const before = withoutNodeLabel(
      (await request(t.baseUrl).get('/metrics').set('authorization', `Bearer ${admin}`)).text,
    );
    const cases: [unknown, string[]][] = [
      [undefined, ["'routing_key' is missing or blank"]],
      ['', ["'routing_key' is missing or blank"]],
      ['R0123456789abcdef0123456789abcd', ['Invalid routing key']],
      [`llmim_${'A'.repeat(43)}`, ['Invalid routing key']],
      [revoked.key, ['Invalid routing key']],
      [7, ['Invalid routing key']],
      [reader.key, ['Invalid routing key (the key lacks the alerts:write scope)']],
    ];
    for (const [routingKey, errors] of cases) {
      const res = await request(t.baseUrl)
        .post('/v2/enqueue')
        // A valid bearer header changes nothing: the body is the credential.
        .set('authorization', `Bearer ${admin}`)
        .send(trigger({ routing_key: routingKey }))
        .expect(400);
      expect(res.body).toEqual(routingKeyError(errors));
    }
    const after = withoutNodeLabel(
      (await request(t.baseUrl).get('/metrics').set('authorization', `Bearer ${admin}`)).text,
    );
    const count = (text: string, reason: string) =>
      Number(
        new RegExp(
          `llm_incident_manager_auth_failures_total\\{reason="${reason}",transport="http"\\} (\\d+)`,
        ).exec(text)?.[1] ?? 0,
      );
    const delta = (reason: string) => count(after, reason) - count(before, reason);
    expect(delta('unknown_key')).toBe(1);
    // The PagerDuty-style key is not one of ours (tried as a token: not one either); the number is malformed.
    expect(delta('invalid_token') + delta('malformed')).toBe(2);
    expect(delta('revoked')).toBe(1);
    expect(delta('missing')).toBe(2);
    expect(delta('insufficient_scope')).toBe(1);
  });

  it('charges events to the routing key (INGEST_RATE_LIMIT_PER_KEY): 429 throttle exceeded with Retry-After', async () => {
    const { key } = await keyWith(['alerts:write']);
    const statuses: number[] = [];
    let refused: request.Response | undefined;
    for (let i = 0; i < 6; i++) {
      const res = await request(t.baseUrl)
        .post('/v2/enqueue')
        .send(trigger({ routing_key: key, dedup_key: 'flood' }));
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    expect(statuses.slice(0, 4)).toEqual([202, 202, 202, 202]);
    expect(refused?.body).toEqual({
      status: 'throttle exceeded',
      message: 'Requests for this service are arriving too quickly.  Please retry later.',
      errors: ['Enhance Your Calm.'],
    });
    expect(Number(refused?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
});
