import request from 'supertest';
import { createIncident } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { SseTestClient } from './support/sse-client';
import { startTestApp, TestApp } from './support/test-app';

/** `GET /v1/stream`: the stream as Server-Sent Events (contract section 7), against the real app. */
describe('Server-Sent Events at GET /v1/stream', () => {
  let app: TestApp;
  const clock = new ManualClock(Date.now());
  const clients: SseTestClient[] = [];

  beforeEach(async () => {
    app = await startTestApp({ WS_MAX_CONNECTIONS: '3' }, undefined, { clock });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await app.cleanup();
  });

  async function open(query = '', headers: Record<string, string> = {}): Promise<SseTestClient> {
    const client = await SseTestClient.open(`${app.baseUrl}/v1/stream${query}`, headers);
    clients.push(client);
    return client;
  }

  it('streams the matching events with id = sequence and event = event_type, after welcome and subscribed', async () => {
    const client = await open('?severities=P1&labels=env:prod');
    expect(client.response.statusCode).toBe(200);
    expect(client.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.response.headers['cache-control']).toBe('no-cache, no-transform');
    expect((await client.next()).event).toBe('welcome');
    const subscribed = await client.next();
    expect(subscribed.event).toBe('subscribed');
    expect(subscribed.data).toMatchObject({
      type: 'subscribed',
      subscription_id: 'stream',
      filters: { severities: ['P1'], labels: { env: 'prod' } },
    });
    expect(client.retries).toEqual([1000]);

    await createIncident(app.baseUrl, { severity: 'P2', labels: { env: 'prod' } });
    await createIncident(app.baseUrl, { severity: 'P1', labels: { env: 'staging' } });
    const wanted = await createIncident(app.baseUrl, { severity: 'P1', labels: { env: 'prod' } });
    const event = await client.next();
    expect(event.event).toBe('incident_created');
    expect(event.data).toMatchObject({ type: 'event', event: { incident: { id: wanted.id } } });
    expect(event.id).toBe(String(event.data.sequence));
    expect(client.eventFrames()).toHaveLength(1);
  });

  it('filters with label_matchers (a URL-encoded JSON array) and min_severity', async () => {
    const label_matchers = [
      { name: 'env', op: '=~', value: 'prod.*' },
      { name: 'team', op: '!=', value: 'web' },
    ];
    const client = await open(
      `?min_severity=P1&event_types=incident_created&label_matchers=${encodeURIComponent(JSON.stringify(label_matchers))}`,
    );
    expect((await client.next('subscribed')).data).toMatchObject({
      filters: { label_matchers, min_severity: 'P1', severities: [] },
    });
    await createIncident(app.baseUrl, { severity: 'P2', labels: { env: 'production' } });
    await createIncident(app.baseUrl, { severity: 'P0', labels: { env: 'staging' } });
    await createIncident(app.baseUrl, { severity: 'P0', labels: { env: 'production', team: 'web' } });
    await createIncident(app.baseUrl, { severity: 'P1', labels: { env: 'prod-eu' } });
    const wanted = await createIncident(app.baseUrl, {
      severity: 'P0',
      labels: { env: 'production', team: 'db' },
    });
    const event = await client.next('incident_created');
    // The first matching one is the last created: none of the others got through.
    expect(event.data.event.incident.labels).toEqual({ env: 'prod-eu' });
    expect((await client.next('incident_created')).data.event.incident.id).toBe(wanted.id);
    expect(client.eventFrames()).toHaveLength(2);
  });

  it('resumes from Last-Event-ID: the missed matching events, replay_complete, then live', async () => {
    const first = await open('?severities=P1');
    await first.next('subscribed');
    await createIncident(app.baseUrl, { severity: 'P1' });
    const seen = await first.next('incident_created');
    first.close();
    const missed = await createIncident(app.baseUrl, { severity: 'P1' });
    await createIncident(app.baseUrl, { severity: 'P3' });

    const second = await open('?severities=P1', { 'last-event-id': seen.id as string });
    expect((await second.next('subscribed')).data).toMatchObject({ resumed: true });
    const replayed = await second.next('incident_created');
    expect(replayed.data.event.incident.id).toBe(missed.id);
    expect((await second.next()).data).toMatchObject({ type: 'replay_complete', replayed: 1 });
    const live = await createIncident(app.baseUrl, { severity: 'P1' });
    expect((await second.next('incident_created')).data.event.incident.id).toBe(live.id);

    // resume_from in the query wins over the header.
    const third = await open(`?severities=P1&resume_from=${replayed.id}`, { 'last-event-id': '0' });
    await third.next('replay_complete');
    expect(third.eventFrames().map((e) => e.data.event.incident.id as string)).toEqual([live.id]);
  });

  it('sends a snapshot of the matching active incidents with snapshot=true', async () => {
    const p0 = await createIncident(app.baseUrl, { severity: 'P0' });
    await createIncident(app.baseUrl, { severity: 'P3' });
    const client = await open('?severities=P0&snapshot=true');
    const snapshot = await client.next('snapshot');
    expect((snapshot.data.incidents as { id: string }[]).map((i) => i.id)).toEqual([p0.id]);
  });

  it('writes a ": ping" comment every heartbeat interval', async () => {
    const client = await open();
    await client.next('subscribed');
    await clock.advanceUntil(() => client.comments.length >= 2, 'two heartbeats', {
      firstMs: 30_000,
      stepMs: 30_000,
    });
    expect(client.comments.slice(0, 2)).toEqual([': ping', ': ping']);
    // A stream cannot answer pings: it is not cut for missing them, nor expired as idle.
    await clock.advanceUntil(() => client.comments.length >= 12, 'ten more heartbeats', {
      firstMs: 30_000,
      stepMs: 30_000,
    });
    expect(client.ended).toBe(false);
  });

  it.each([
    ['an unknown parameter', '?severity=P1'],
    ['a repeated parameter', '?severities=P1&severities=P2'],
    ['an unknown severity', '?severities=P5'],
    ['an unknown event type', '?event_types=incident_exploded'],
    ['a label without a value separator', '?labels=env'],
    ['a label with an empty key', '?labels=:prod'],
    ['a reserved label key', '?labels=__proto__:x'],
    ['a non-UUID incident id', '?incident_ids=abc'],
    ['a negative resume_from', '?resume_from=-1'],
    ['a fractional resume_from', '?resume_from=1.5'],
    ['a non-boolean snapshot', '?snapshot=yes'],
    ['resume_from with snapshot', '?resume_from=0&snapshot=true'],
    ['label_matchers that are not JSON', '?label_matchers=env%3D~prod'],
    [
      'label_matchers as an object',
      `?label_matchers=${encodeURIComponent('{"name":"env","op":"=","value":"p"}')}`,
    ],
    ['an invalid regex', `?label_matchers=${encodeURIComponent('[{"name":"env","op":"=~","value":"(p"}]')}`],
    [
      'an unknown matcher op',
      `?label_matchers=${encodeURIComponent('[{"name":"env","op":"~","value":"p"}]')}`,
    ],
    [
      'a null matcher value',
      `?label_matchers=${encodeURIComponent('[{"name":"env","op":"=","value":null}]')}`,
    ],
    ['a reserved key in a matcher', `?label_matchers=${encodeURIComponent('[{"__proto__":{}}]')}`],
    [
      'a NUL in a matcher (JSON-escaped)',
      `?label_matchers=${encodeURIComponent('[{"name":"e","op":"=","value":"\\u0000"}]')}`,
    ],
    ['a repeated label_matchers', '?label_matchers=%5B%5D&label_matchers=%5B%5D'],
    ['an unknown min_severity', '?min_severity=P5'],
    ['an empty min_severity', '?min_severity='],
    ['min_severity as a list', '?min_severity=P0,P1'],
  ])('answers %s with 400 VALIDATION_ERROR', async (_name, query) => {
    const res = await request(app.baseUrl).get(`/v1/stream${query}`).expect(400);
    expect(res.body).toMatchObject({ error: { code: 'VALIDATION_ERROR', status: 400 } });
  });

  it('answers a malformed Last-Event-ID with 400', async () => {
    await request(app.baseUrl).get('/v1/stream').set('last-event-id', 'abc').expect(400);
  });

  it('counts against the connection limit: over it, 429', async () => {
    for (let i = 0; i < 3; i++) await (await open()).next('subscribed');
    const res = await request(app.baseUrl).get('/v1/stream').expect(429);
    expect(res.body).toMatchObject({ error: { code: 'RATE_LIMIT_EXCEEDED' } });
  });

  it('ends with a closing event at shutdown', async () => {
    const client = await open();
    await client.next('subscribed');
    await app.close();
    await client.waitEnded();
    const names = client.events.map((e) => e.event);
    expect(names.slice(-2)).toEqual(['system_event', 'closing']);
  });
});

describe('GET /v1/stream with authentication required', () => {
  let app: TestApp;

  beforeAll(async () => {
    // With a JWT secret no bootstrap admin key is written.
    app = await startTestApp({ AUTH_MODE: 'required', AUTH_JWT_SECRET: 'x'.repeat(32) });
  });

  afterAll(async () => {
    await app.cleanup();
  });

  it('answers 401 without a credential', async () => {
    const res = await request(app.baseUrl).get('/v1/stream').expect(401);
    expect(res.body).toMatchObject({ error: { code: 'AUTHENTICATION_ERROR' } });
  });
});
