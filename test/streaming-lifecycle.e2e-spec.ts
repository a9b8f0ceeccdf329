import type { Incident } from '../src/domain';
import type { DomainEvent } from '../src/events/event.types';
import { alertBody, makeIncident } from './support/fixtures';
import { publishAll } from './support/publish';
import { RawHttpConnection, requestsReceived } from './support/raw-http-connection';
import { WsTestClient, closeAll } from './support/ws-test-client';
import { ConnectionService } from '../src/streaming/connections/connection.service';
import type { StreamConnection } from '../src/streaming/connections/stream-connection';
import { eventually } from './support/eventually';
import { ManualClock } from './support/manual-clock';
import { TestApp, startTestApp } from './support/test-app';

/** Resolves once the server has handled everything the client sent before (frames of one socket are in order). */
async function roundTrip(client: WsTestClient): Promise<void> {
  await client.request({ type: 'ping', timestamp: '2025-01-01T00:00:00Z' });
}

/** The server's state of a client's connection. */
function serverSide(t: TestApp, client: WsTestClient): StreamConnection {
  const connection = t.app.get(ConnectionService).get(client.welcome.session_id as string);
  if (connection === undefined) throw new Error('no such connection on the server');
  return connection;
}

describe('liveness: WebSocket ping frames and the JSON pong heartbeat', () => {
  let t: TestApp;
  const clock = new ManualClock();
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ WS_HEARTBEAT_INTERVAL: '0.2', WS_SESSION_TIMEOUT: '60' }, undefined, { clock });
  });

  afterAll(async () => {
    await closeAll(clients);
    await t.cleanup();
  });

  it('terminates a peer that misses two pings and keeps one that answers them', async () => {
    const dead = await WsTestClient.connect(t.wsUrl, { autoPong: false });
    const alive = await WsTestClient.connect(t.wsUrl);
    clients.push(dead, alive);
    for (let beat = 1; beat <= 2; beat++) {
      await clock.advance(200);
      await alive.next('pong');
      await dead.next('pong');
      // The ping went out before the JSON pong; a round trip proves the server has read the peer's answer (if any).
      await roundTrip(alive);
      await roundTrip(dead);
      expect(serverSide(t, alive).missedPings).toBe(0);
      expect(serverSide(t, dead).missedPings).toBe(beat);
    }
    // Two pings unanswered: the third beat drops the socket without a close handshake (1006 on the client side).
    await clock.advance(200);
    expect((await dead.waitClosed(3000)).code).toBe(1006);
    await alive.next('pong');
    await roundTrip(alive);
    expect(alive.isOpen).toBe(true);
  });

  it('sends the JSON pong heartbeat {type, timestamp} every interval', async () => {
    const client = await WsTestClient.connect(t.wsUrl);
    clients.push(client);
    await clock.advance(200);
    const first = await client.next('pong', 1000);
    await clock.advance(200);
    const second = await client.next('pong', 1000);
    for (const pong of [first, second]) {
      expect(pong).toEqual({
        type: 'pong',
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/),
      });
    }
    expect(Date.parse(second.timestamp) - Date.parse(first.timestamp)).toBe(200);
  });
});

describe('idle session expiry', () => {
  let t: TestApp;
  let clock: ManualClock;
  const clients: WsTestClient[] = [];

  beforeEach(() => {
    clock = new ManualClock();
  });

  afterEach(async () => {
    await closeAll(clients.splice(0));
    await t.cleanup();
  });

  it('closes a session idle longer than WS_SESSION_TIMEOUT with closing, then 4010, and spares an active one', async () => {
    t = await startTestApp(
      { WS_HEARTBEAT_INTERVAL: '30', WS_SESSION_TIMEOUT: '0.5', WS_CLEANUP_INTERVAL: '0.1' },
      undefined,
      { clock },
    );
    const idle = await WsTestClient.connect(t.wsUrl);
    const active = await WsTestClient.connect(t.wsUrl);
    clients.push(idle, active);
    await clock.advance(300);
    await roundTrip(active);
    expect(idle.isOpen).toBe(true);
    await clock.advance(300);
    expect(await idle.next('closing', 2000)).toEqual({ type: 'closing', reason: 'session expired' });
    expect((await idle.waitClosed()).code).toBe(4010);
    await roundTrip(active);
    await clock.advance(300);
    await roundTrip(active);
    expect(active.isOpen).toBe(true);
  });

  it('counts pong frames (answers to our pings) as activity', async () => {
    t = await startTestApp(
      { WS_HEARTBEAT_INTERVAL: '0.1', WS_SESSION_TIMEOUT: '0.5', WS_CLEANUP_INTERVAL: '0.1' },
      undefined,
      { clock },
    );
    const silent = await WsTestClient.connect(t.wsUrl);
    clients.push(silent);
    const session = serverSide(t, silent).session;
    for (let beat = 1; beat <= 12; beat++) {
      await clock.advance(100);
      await silent.next('pong');
      // The client sends nothing but its automatic answers to pings; wait until the server has read this one.
      const beatAt = clock.now();
      await eventually(() => session.lastActiveAt === beatAt, 3000, `the pong of beat ${beat}`);
    }
    expect(silent.isOpen).toBe(true);
  });
});

describe('graceful shutdown', () => {
  it('writes what was queued, then the shutdown system_event, closing, and closes 1001', async () => {
    const t = await startTestApp();
    const everything = await WsTestClient.connect(t.wsUrl);
    const incidentsOnly = await WsTestClient.connect(t.wsUrl);
    try {
      await everything.subscribe('all');
      await incidentsOnly.subscribe('incidents', { event_types: ['incident_created'] });
      const events: { event: DomainEvent; incident: Incident | null }[] = Array.from(
        { length: 50 },
        (_, i) => {
          const incident = makeIncident({ title: `e${i}` });
          return { event: { event_type: 'incident_created', incident }, incident };
        },
      );
      await publishAll(t.app, events);
      // Close in the same turn: the 50 events are still queued, not yet written.
      const closing = t.cleanup();

      for (const client of [everything, incidentsOnly]) {
        expect((await client.waitClosed(5000)).code).toBe(1001);
        const frames = client.frames.slice(2);
        expect(frames.slice(0, 50).map((f) => f.event.incident.title)).toEqual(events.map((_, i) => `e${i}`));
        expect(frames.at(-1)).toEqual({ type: 'closing', reason: 'server shutdown' });
      }
      expect(everything.frames.slice(2)).toHaveLength(52);
      expect(everything.frames.at(-2)?.event).toEqual({
        event_type: 'system_event',
        category: 'shutdown',
        message: expect.any(String),
        metadata: expect.any(Object),
      });
      expect(incidentsOnly.frames.slice(2)).toHaveLength(51);
      await closing;
    } finally {
      await closeAll([everything, incidentsOnly]);
    }
  });

  it('delivers the events of alerts acknowledged while shutdown begins before the shutdown system_event, closing and 1001', async () => {
    const t = await startTestApp();
    const subscriber = await WsTestClient.connect(t.wsUrl);
    const senders = await Promise.all(Array.from({ length: 8 }, () => RawHttpConnection.open(t.baseUrl)));
    try {
      await subscriber.subscribe('all');
      const received = requestsReceived(t.app.getHttpServer(), senders.length);
      // Bodies held back: the alerts are in flight when shutdown begins, and are stored only after it has.
      const inFlight = senders.map((sender) => sender.post('/v1/alerts', alertBody(), 10));
      await received;
      const closing = t.cleanup();
      for (const request of inFlight) request.finish();

      expect((await subscriber.waitClosed(5000)).code).toBe(1001);
      await closing;
      const answers = await Promise.all(senders.map(async (sender) => (await sender.responsesUntil(1))[0]));
      expect(answers.map((answer) => answer.status)).toEqual(senders.map(() => 200));
      const frames = subscriber.frames.slice(2);
      const delivered = new Set(
        frames.filter((f) => f.event?.event_type === 'alert_received').map((f) => f.event.alert.id as string),
      );
      for (const answer of answers) {
        expect(delivered).toContain((JSON.parse(answer.body) as { alert_id: string }).alert_id);
      }
      expect(frames.at(-2)?.event).toMatchObject({ event_type: 'system_event', category: 'shutdown' });
      expect(frames.at(-1)).toEqual({ type: 'closing', reason: 'server shutdown' });
    } finally {
      for (const sender of senders) sender.destroy();
      await closeAll([subscriber]);
    }
  });
});
