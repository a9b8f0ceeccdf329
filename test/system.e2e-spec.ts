import request from 'supertest';
import { EventCapture } from './support/event-capture';
import { ManualClock } from './support/manual-clock';
import { startTestApp, TestApp } from './support/test-app';
import { WsTestClient } from './support/ws-test-client';

interface LoggedEvent {
  sequence: number;
  event_type: string;
  event: { category?: string; message?: string; metadata?: Record<string, string> };
}

const systemEvents = async (baseUrl: string): Promise<LoggedEvent[]> =>
  ((await request(baseUrl).get('/v1/events?limit=1000').expect(200)).body.events as LoggedEvent[]).filter(
    (e) => e.event_type === 'system_event',
  );

describe('system events', () => {
  const clock = new ManualClock('2026-03-01T12:00:00.000Z');
  let t: TestApp;
  let events: EventCapture;

  beforeAll(async () => {
    t = await startTestApp({}, undefined, { clock });
    events = new EventCapture(t.app);
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  it('stores a startup system_event when the server starts', async () => {
    const [startup] = await systemEvents(t.baseUrl);
    expect(startup.event).toEqual({
      event_type: 'system_event',
      category: 'startup',
      message: 'Server started',
      metadata: { hostname: expect.any(String), pid: String(process.pid), node_version: process.version },
    });
  });

  it('publishes an operator notice from POST /v1/system/events (201), stamped by the clock, and stores it', async () => {
    await clock.advance(60_000);
    const body = {
      category: 'maintenance',
      message: 'Database failover at 22:00 UTC',
      metadata: { window: '15m', ticket: 'OPS-42' },
    };
    const res = await request(t.baseUrl).post('/v1/system/events').send(body).expect(201);
    expect(res.body).toEqual({ ...body, timestamp: '2026-03-01T12:01:00.000Z' });

    const published = events.envelopes.find((e) => e.event.event_type === 'system_event');
    expect(published?.event).toEqual({ event_type: 'system_event', ...body });
    expect(published?.incident).toBeNull();
    const stored = (await systemEvents(t.baseUrl)).find((e) => e.event.category === 'maintenance');
    expect(stored?.sequence).toBe(published?.sequence);
  });

  it('defaults metadata to an empty object', async () => {
    const res = await request(t.baseUrl)
      .post('/v1/system/events')
      .send({ category: 'deploy', message: 'v2 rolled out' })
      .expect(201);
    expect(res.body.metadata).toEqual({});
  });

  it.each([
    ['no message', { category: 'maintenance' }],
    ['an empty message', { category: 'maintenance', message: '' }],
    ['null metadata', { category: 'maintenance', message: 'x', metadata: null }],
    ['a non-string metadata value', { category: 'maintenance', message: 'x', metadata: { n: 1 } }],
    ['a category with spaces', { category: 'big news', message: 'x' }],
    ['the reserved startup category', { category: 'startup', message: 'fake start' }],
    ['the reserved shutdown category', { category: 'shutdown', message: 'fake stop' }],
    ['a too long category', { category: 'c'.repeat(65), message: 'x' }],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_what, body) => {
    const before = events.envelopes.length;
    const res = await request(t.baseUrl).post('/v1/system/events').send(body).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
    expect(events.envelopes.length).toBe(before);
  });

  it('delivers system events to a WebSocket subscriber of system_event', async () => {
    const subscriber = await WsTestClient.connect(t.wsUrl);
    await subscriber.subscribe('test', { event_types: ['system_event'] });
    try {
      await request(t.baseUrl)
        .post('/v1/system/events')
        .send({ category: 'maintenance', message: 'ws notice', metadata: { k: 'v' } })
        .expect(201);
      const frame = await subscriber.waitFor((e) => e.event?.message === 'ws notice');
      expect(frame.event).toEqual({
        event_type: 'system_event',
        category: 'maintenance',
        message: 'ws notice',
        metadata: { k: 'v' },
      });
      expect(frame.sequence).toEqual(expect.any(Number));
    } finally {
      await subscriber.close();
    }
  });
});

describe('system events across a restart', () => {
  it('stores exactly one shutdown event per stop and one startup event per start', async () => {
    const first = await startTestApp();
    await first.close();
    const second = await startTestApp({}, { dbPath: first.dbPath, dir: first.dir });
    try {
      const categories = (await systemEvents(second.baseUrl)).map((e) => e.event.category);
      expect(categories).toEqual(['startup', 'shutdown', 'startup']);
    } finally {
      await second.cleanup();
    }
  });
});
