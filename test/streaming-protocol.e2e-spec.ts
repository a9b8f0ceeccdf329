import { randomUUID } from 'node:crypto';
import { withoutNodeLabel } from './support/metrics-text';
import request from 'supertest';
import { ConnectionService } from '../src/streaming/connections/connection.service';
import { makeIncident } from './support/fixtures';
import { publish, systemEvent } from './support/publish';
import { WsTestClient, closeAll } from './support/ws-test-client';
import { ManualClock } from './support/manual-clock';
import { TestApp, startTestApp } from './support/test-app';

const INVALID_PREFIX = 'Failed to process message: ';
const ALL_KEYS_EMPTY = {
  event_types: [],
  severities: [],
  states: [],
  sources: [],
  affected_resources: [],
  labels: {},
  incident_ids: [],
  label_matchers: [],
  min_severity: null,
};

describe('WebSocket protocol (/ws): every client and server message type and error code', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];
  const connect = async (): Promise<WsTestClient> => {
    const client = await WsTestClient.connect(t.wsUrl);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    t = await startTestApp({ WS_MAX_SUBSCRIPTIONS: '3' });
  });

  afterEach(async () => {
    await closeAll(clients.splice(0));
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('greets every connection with welcome {session_id, server_time} as its first frame', async () => {
    const client = await connect();
    expect(client.welcome).toEqual({
      type: 'welcome',
      session_id: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      server_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
    });
    const other = await connect();
    expect(other.welcome.session_id).not.toBe(client.welcome.session_id);
  });

  it('records the client address of the upgrade request in the session', async () => {
    const client = await connect();
    const connection = t.app.get(ConnectionService).get(client.welcome.session_id);
    expect(connection?.remoteAddress).toBe('127.0.0.1');
    expect(connection?.session.metadata.remote_address).toBe('127.0.0.1');
  });

  it.each([
    ['2025-11-12T10:30:00Z', '2025-11-12T10:30:00Z'],
    ['2025-11-12T10:30:00+02:00', '2025-11-12T08:30:00Z'],
    ['2025-11-12T10:30:00.250-01:30', '2025-11-12T12:00:00.250Z'],
  ])('answers ping %s with pong %s (normalised to UTC Z)', async (sent, echoed) => {
    const client = await connect();
    expect(await client.request({ type: 'ping', timestamp: sent })).toEqual({
      type: 'pong',
      timestamp: echoed,
    });
  });

  it.each(['2025-11-12', '2025-11-12T10:30:00', '2025-02-30T10:30:00Z', 'now', 1731407400, null])(
    'rejects ping with timestamp %j as INVALID_MESSAGE',
    async (timestamp) => {
      const client = await connect();
      const reply = await client.request({ type: 'ping', timestamp });
      expect(reply).toEqual({
        type: 'error',
        code: 'INVALID_MESSAGE',
        message: expect.stringContaining('timestamp'),
      });
      expect(reply.message.startsWith(INVALID_PREFIX)).toBe(true);
    },
  );

  it.each([
    ['bad JSON', '{"type":"ping",', 'invalid JSON'],
    ['a JSON array', '[1,2]', 'JSON object'],
    ['a JSON number', '42', 'JSON object'],
    ['JSON null', 'null', 'JSON object'],
    ['no type', '{"timestamp":"2025-11-12T10:30:00Z"}', 'type'],
    ['an unknown type', '{"type":"shout"}', 'shout'],
    ['a non-string type', '{"type":7}', 'type'],
    ['subscribe without subscription_id', '{"type":"subscribe","filters":{}}', 'subscription_id is required'],
    ['subscribe without filters', '{"type":"subscribe","subscription_id":"s"}', 'filters is required'],
    ['subscribe with null filters', '{"type":"subscribe","subscription_id":"s","filters":null}', 'filters'],
    ['subscribe with array filters', '{"type":"subscribe","subscription_id":"s","filters":[]}', 'filters'],
    [
      'subscribe with an empty id',
      '{"type":"subscribe","subscription_id":"","filters":{}}',
      'subscription_id',
    ],
    [
      'subscribe with a numeric id',
      '{"type":"subscribe","subscription_id":5,"filters":{}}',
      'subscription_id',
    ],
    ['unsubscribe without subscription_id', '{"type":"unsubscribe"}', 'subscription_id is required'],
    ['ping without timestamp', '{"type":"ping"}', 'timestamp is required'],
    ['ack without message_id', '{"type":"ack"}', 'message_id is required'],
    ['ack with a numeric message_id', '{"type":"ack","message_id":1}', 'message_id'],
  ])('answers %s with INVALID_MESSAGE and keeps the socket open', async (_name, frame, mentions) => {
    const client = await connect();
    const reply = await client.request(frame);
    expect(reply).toEqual({
      type: 'error',
      code: 'INVALID_MESSAGE',
      message: expect.stringContaining(mentions),
    });
    expect(reply.message.startsWith(INVALID_PREFIX)).toBe(true);
    expect(await client.request({ type: 'ping', timestamp: '2025-01-01T00:00:00Z' })).toMatchObject({
      type: 'pong',
    });
  });

  it('answers a 129-character subscription_id with INVALID_MESSAGE and accepts 128', async () => {
    const client = await connect();
    const tooLong = await client.request({
      type: 'subscribe',
      subscription_id: 'x'.repeat(129),
      filters: {},
    });
    expect(tooLong).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    await client.subscribe('x'.repeat(128));
  });

  it('answers a binary frame with UNSUPPORTED and keeps the socket open', async () => {
    const client = await connect();
    client.socket.send(Buffer.from([0x7b, 0x7d]), { binary: true });
    expect(await client.next()).toEqual({ type: 'error', code: 'UNSUPPORTED', message: expect.any(String) });
    expect(await client.request({ type: 'ping', timestamp: '2025-01-01T00:00:00Z' })).toMatchObject({
      type: 'pong',
    });
  });

  it('ignores unknown top-level fields', async () => {
    const client = await connect();
    const reply = await client.request({
      type: 'ping',
      timestamp: '2025-01-01T00:00:00Z',
      extra: { any: 1 },
    });
    expect(reply).toEqual({ type: 'pong', timestamp: '2025-01-01T00:00:00Z' });
  });

  it('answers subscribe with subscribed echoing the filters with every key present', async () => {
    const client = await connect();
    expect(await client.subscribe('empty')).toEqual({
      type: 'subscribed',
      subscription_id: 'empty',
      filters: ALL_KEYS_EMPTY,
      position: expect.any(Number) as number,
    });
    const id = randomUUID();
    expect(
      await client.subscribe('some', {
        severities: ['P0', 'P1'],
        labels: { env: 'prod' },
        incident_ids: [id.toUpperCase()],
      }),
    ).toEqual({
      type: 'subscribed',
      subscription_id: 'some',
      filters: { ...ALL_KEYS_EMPTY, severities: ['P0', 'P1'], labels: { env: 'prod' }, incident_ids: [id] },
      position: expect.any(Number) as number,
    });
    const label_matchers = [
      { name: 'env', op: '=~', value: 'prod|staging' },
      { name: 'team', op: '!=', value: 'web' },
    ];
    expect(await client.subscribe('matchers', { label_matchers, min_severity: 'P2' })).toEqual({
      type: 'subscribed',
      subscription_id: 'matchers',
      filters: { ...ALL_KEYS_EMPTY, label_matchers, min_severity: 'P2' },
      position: expect.any(Number) as number,
    });
  });

  it('names the matcher and the regex problem in INVALID_MESSAGE', async () => {
    const client = await connect();
    const reply = await client.request({
      type: 'subscribe',
      subscription_id: 'bad',
      filters: {
        label_matchers: [
          { name: 'env', op: '=', value: 'prod' },
          { name: 'team', op: '=~', value: '(db' },
        ],
      },
    });
    expect(reply).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    expect(reply.message).toBe(
      `${INVALID_PREFIX}filters.label_matchers[1].value is not a valid regular expression (RE2 syntax): ` +
        'error parsing regexp: missing closing ): `(db`',
    );
  });

  it.each([
    ['an unknown filter key', { severity: ['P0'] }],
    ['an unknown event type', { event_types: ['incident_exploded'] }],
    ['an unknown severity', { severities: ['P5'] }],
    ['a lowercase severity', { severities: ['p0'] }],
    ['an unknown state', { states: ['Open'] }],
    ['a string instead of a list', { sources: 'prometheus' }],
    ['a number in sources', { sources: [1] }],
    ['a null list', { severities: null }],
    ['a null list element', { affected_resources: ['api', null] }],
    ['a null label value', { labels: { env: null } }],
    ['a numeric label value', { labels: { env: 1 } }],
    ['labels as a list', { labels: ['env=prod'] }],
    ['a non-UUID incident id', { incident_ids: ['INC-1'] }],
    ['label_matchers as an object', { label_matchers: { name: 'env', op: '=', value: 'prod' } }],
    ['null label_matchers', { label_matchers: null }],
    ['a null matcher', { label_matchers: [null] }],
    ['a matcher with an unknown op', { label_matchers: [{ name: 'env', op: '==', value: 'prod' }] }],
    ['a matcher with an unknown key', { label_matchers: [{ name: 'env', op: '=', value: 'p', re: true }] }],
    ['a matcher without value', { label_matchers: [{ name: 'env', op: '=' }] }],
    ['a matcher with a null value', { label_matchers: [{ name: 'env', op: '=', value: null }] }],
    ['a matcher with an empty name', { label_matchers: [{ name: '', op: '=', value: 'prod' }] }],
    ['an invalid regex', { label_matchers: [{ name: 'env', op: '=~', value: '(prod' }] }],
    ['a regex with a lookahead', { label_matchers: [{ name: 'env', op: '!~', value: 'p(?=rod)' }] }],
    [
      'a regex over 1,024 characters',
      { label_matchers: [{ name: 'env', op: '=~', value: 'a'.repeat(1025) }] },
    ],
    [
      'a regex too large to compile',
      { label_matchers: [{ name: 'env', op: '=~', value: 'a{2,1000}'.repeat(100) }] },
    ],
    [
      '65 matchers',
      { label_matchers: Array.from({ length: 65 }, () => ({ name: 'env', op: '=', value: 'p' })) },
    ],
    ['an unknown min_severity', { min_severity: 'P5' }],
    ['a null min_severity', { min_severity: null }],
    ['min_severity as a list', { min_severity: ['P1'] }],
  ])('rejects a subscription with %s as INVALID_MESSAGE and subscribes nothing', async (_name, filters) => {
    const client = await connect();
    const reply = await client.request({ type: 'subscribe', subscription_id: 'bad', filters });
    expect(reply).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    expect(reply.message.startsWith(INVALID_PREFIX)).toBe(true);
    // Nothing was subscribed: the id is unknown and no event reaches the client.
    expect(await client.request({ type: 'unsubscribe', subscription_id: 'bad' })).toMatchObject({
      code: 'NOT_FOUND',
    });
    await publish(t.app, systemEvent('after a rejected subscription'), null);
    await client.expectNothingPending();
  });

  it('replaces the filters of an existing subscription id', async () => {
    const client = await connect();
    await client.subscribe('s', { severities: ['P0'] });
    await client.subscribe('s', { severities: ['P2'] });
    await publish(
      t.app,
      { event_type: 'incident_created', incident: makeIncident({ severity: 'P0', title: 'p0' }) },
      null,
    );
    await publish(
      t.app,
      { event_type: 'incident_created', incident: makeIncident({ severity: 'P2', title: 'p2' }) },
      null,
    );
    const [event] = await client.events(1);
    expect(event.event.incident.title).toBe('p2');
    await client.expectNothingPending();
    expect(client.receivedEvents()).toHaveLength(1);
  });

  it('answers unsubscribe with unsubscribed, stops the events, and a second unsubscribe with NOT_FOUND', async () => {
    const client = await connect();
    await client.subscribe('s');
    expect(await client.request({ type: 'unsubscribe', subscription_id: 's' })).toEqual({
      type: 'unsubscribed',
      subscription_id: 's',
    });
    await publish(t.app, systemEvent('after unsubscribe'), null);
    await client.expectNothingPending();
    expect(await client.request({ type: 'unsubscribe', subscription_id: 's' })).toEqual({
      type: 'error',
      code: 'NOT_FOUND',
      message: expect.stringContaining('s'),
    });
  });

  it('does not answer ack', async () => {
    const client = await connect();
    client.send({ type: 'ack', message_id: randomUUID() });
    await client.expectNothingPending();
    expect(await client.request({ type: 'ping', timestamp: '2025-01-01T00:00:00Z' })).toMatchObject({
      type: 'pong',
    });
  });

  it('answers a subscription over WS_MAX_SUBSCRIPTIONS with SUBSCRIPTION_LIMIT and changes nothing', async () => {
    const client = await connect();
    for (const id of ['a', 'b', 'c']) await client.subscribe(id, { event_types: ['comment_added'] });
    expect(await client.request({ type: 'subscribe', subscription_id: 'd', filters: {} })).toEqual({
      type: 'error',
      code: 'SUBSCRIPTION_LIMIT',
      message: expect.any(String),
    });
    expect(await client.request({ type: 'unsubscribe', subscription_id: 'd' })).toMatchObject({
      code: 'NOT_FOUND',
    });
    // Replacing an existing subscription is not a new one.
    await client.subscribe('c', { event_types: ['system_event'] });
    await publish(t.app, systemEvent('limit'), null);
    expect((await client.events(1))[0].event.message).toBe('limit');
  });

  it('sends events as {type, message_id, event, timestamp, sequence}, one copy per connection, sequences increasing', async () => {
    const client = await connect();
    await client.subscribe('everything');
    await client.subscribe('system-too', { event_types: ['system_event'] });
    await publish(t.app, systemEvent('one'), null);
    await publish(t.app, systemEvent('two'), null);
    const events = await client.events(2);
    await client.expectNothingPending();
    expect(client.receivedEvents()).toHaveLength(2);
    expect(events[0]).toEqual({
      type: 'event',
      message_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      event: { event_type: 'system_event', category: 'test', message: 'one', metadata: {} },
      timestamp: expect.stringMatching(/Z$/),
      sequence: expect.any(Number),
    });
    expect(events[1].event.message).toBe('two');
    expect(events[1].sequence).toBeGreaterThan(events[0].sequence);
    expect(events[1].message_id).not.toBe(events[0].message_id);
  });

  it('delivers nothing to a connection without subscriptions', async () => {
    const client = await connect();
    await publish(t.app, systemEvent('nobody listens'), null);
    await client.expectNothingPending();
  });

  it('does not negotiate permessage-deflate when compression is off (the default)', async () => {
    const client = await connect();
    expect(client.socket.extensions).toBe('');
  });

  it('exposes every websocket_* metric of the contract and the streaming counters move', async () => {
    const client = await connect();
    await client.subscribe('m');
    client.send('garbage');
    await client.next();
    await publish(t.app, systemEvent('metrics'), null);
    await client.events(1);
    const text = withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text);
    for (const name of [
      'websocket_active_connections',
      'websocket_total_connections',
      'websocket_active_subscriptions',
      'websocket_messages_sent_total',
      'websocket_messages_received_total',
      'websocket_events_broadcast_total',
      'websocket_events_delivered_total',
      'websocket_connection_errors_total',
      'websocket_send_errors_total',
      'websocket_session_duration_seconds',
      'websocket_message_latency_seconds',
      'websocket_broadcast_channel_usage_ratio',
      'llm_incident_manager_messages_shed_total',
      'llm_incident_manager_messages_dropped_total',
      'llm_incident_manager_slow_consumers_closed_total',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(metricValue(text, 'websocket_active_connections')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'websocket_active_subscriptions')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'websocket_messages_received_total{type="subscribe"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      metricValue(text, 'websocket_messages_received_total{type="invalid_frame"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'websocket_messages_sent_total{type="event"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'websocket_messages_sent_total{type="welcome"}')).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(text, 'websocket_events_broadcast_total{event_type="system_event"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(text, 'websocket_events_delivered_total{event_type="system_event"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'websocket_message_latency_seconds_count')).toBeGreaterThanOrEqual(1);
  });
});

describe('WebSocket limits', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];
  // Rate windows are measured on the application's clock: this one only moves when a test moves it.
  const clock = new ManualClock();

  beforeAll(async () => {
    t = await startTestApp(
      {
        WS_MAX_CONNECTIONS: '3',
        WS_MAX_MESSAGE_BYTES: '1024',
        WS_MAX_MESSAGES_PER_SECOND: '5',
      },
      undefined,
      { clock },
    );
  });

  afterEach(async () => {
    await closeAll(clients.splice(0));
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('refuses a connection over WS_MAX_CONNECTIONS with closing, then 4029', async () => {
    for (let i = 0; i < 3; i++) clients.push(await WsTestClient.connect(t.wsUrl));
    const refused = await WsTestClient.connect(t.wsUrl, { expectWelcome: false });
    clients.push(refused);
    expect(await refused.next()).toEqual({ type: 'closing', reason: expect.any(String) });
    expect((await refused.waitClosed()).code).toBe(4029);
    // A slot freed is a slot available again.
    await clients[0].close();
    await waitFor(() => t.app.get(ConnectionService).size === 2);
    clients.push(await WsTestClient.connect(t.wsUrl));
  });

  it('closes with closing, then 1009 on a frame over WS_MAX_MESSAGE_BYTES', async () => {
    const client = await WsTestClient.connect(t.wsUrl);
    clients.push(client);
    client.send({ type: 'ping', timestamp: '2025-01-01T00:00:00Z', padding: 'x'.repeat(2000) });
    expect(await client.next()).toEqual({ type: 'closing', reason: expect.any(String) });
    expect((await client.waitClosed()).code).toBe(1009);
  });

  it('answers messages over WS_MAX_MESSAGES_PER_SECOND with RATE_LIMITED and keeps serving', async () => {
    const client = await WsTestClient.connect(t.wsUrl);
    clients.push(client);
    for (let i = 0; i < 8; i++) client.send({ type: 'ping', timestamp: '2025-01-01T00:00:00Z' });
    const replies = [];
    for (let i = 0; i < 8; i++) replies.push(await client.next());
    expect(replies.slice(0, 5).every((r) => r.type === 'pong')).toBe(true);
    expect(replies.slice(5)).toEqual(
      Array(3).fill({ type: 'error', code: 'RATE_LIMITED', message: expect.any(String) }),
    );
    await clock.advance(1000);
    expect(await client.request({ type: 'ping', timestamp: '2025-01-01T00:00:00Z' })).toMatchObject({
      type: 'pong',
    });
    expect(client.isOpen).toBe(true);
  });

  it('closes a client that sends three times the rate limit in a second with closing, then 4029', async () => {
    const client = await WsTestClient.connect(t.wsUrl);
    clients.push(client);
    for (let i = 0; i < 20; i++) client.send({ type: 'ping', timestamp: '2025-01-01T00:00:00Z' });
    const closing = await client.next('closing');
    expect(closing.reason).toEqual(expect.any(String));
    expect((await client.waitClosed()).code).toBe(4029);
  });

  it('tells a client flooding 10,000 messages at once that it is rate limited before closing it 4029', async () => {
    const client = await WsTestClient.connect(t.wsUrl);
    clients.push(client);
    const ping = JSON.stringify({ type: 'ping', timestamp: '2025-01-01T00:00:00Z' });
    for (let i = 0; i < 10_000; i++) client.send(ping);
    const closing = await client.next('closing', 10_000);
    expect((await client.waitClosed(10_000)).code).toBe(4029);
    const beforeClosing = client.frames.slice(1, client.frames.indexOf(closing));
    const rateLimited = beforeClosing.filter((f) => f.type === 'error' && f.code === 'RATE_LIMITED');
    expect(rateLimited.length).toBeGreaterThanOrEqual(1);
    // Bounded: no more replies than messages up to the abuse threshold (3 x the limit of 5).
    expect(beforeClosing.length).toBeLessThanOrEqual(15);
    expect(client.frames.at(-1)).toBe(closing);
  });
});

describe('WebSocket compression', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ WS_ENABLE_COMPRESSION: 'true' });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('negotiates permessage-deflate when WS_ENABLE_COMPRESSION is on and still delivers events', async () => {
    const client = await WsTestClient.connect(t.wsUrl);
    try {
      expect(client.socket.extensions).toContain('permessage-deflate');
      await client.subscribe('all');
      await publish(t.app, systemEvent('compressed '.repeat(200)), null);
      expect((await client.events(1))[0].event.message).toContain('compressed');
    } finally {
      await client.close();
    }
  });
});

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no series ${series}`);
  return Number(line.slice(series.length + 1));
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('WebSocket path', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ WS_PATH: '/stream' });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('serves the stream on WS_PATH and nowhere else', async () => {
    expect(t.wsUrl.endsWith('/stream')).toBe(true);
    const client = await WsTestClient.connect(t.wsUrl);
    await client.close();
    await expect(WsTestClient.connect(t.wsUrl.replace('/stream', '/ws'))).rejects.toThrow();
  });
});
