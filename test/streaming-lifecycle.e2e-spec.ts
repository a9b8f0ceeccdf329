import type { Incident } from '../src/domain';
import type { DomainEvent } from '../src/events/event.types';
import { makeIncident, publishAll } from './streaming-support/publish';
import { WsTestClient, closeAll } from './streaming-support/ws-test-client';
import { TestApp, startTestApp } from './support/test-app';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('liveness: WebSocket ping frames and the JSON pong heartbeat', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ WS_HEARTBEAT_INTERVAL: '0.2', WS_SESSION_TIMEOUT: '60' });
  });

  afterAll(async () => {
    await closeAll(clients);
    await t.cleanup();
  });

  it('terminates a peer that misses two pings and keeps one that answers them', async () => {
    const dead = await WsTestClient.connect(t.wsUrl, { autoPong: false });
    const alive = await WsTestClient.connect(t.wsUrl);
    clients.push(dead, alive);
    const started = Date.now();
    // No close handshake for a dead peer: the socket is dropped (1006 on the client side).
    expect((await dead.waitClosed(3000)).code).toBe(1006);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(alive.isOpen).toBe(true);
    await sleep(300);
    expect(alive.isOpen).toBe(true);
  });

  it('sends the JSON pong heartbeat {type, timestamp} every interval', async () => {
    const client = await WsTestClient.connect(t.wsUrl);
    clients.push(client);
    const first = await client.nextOfType('pong', 1000);
    const second = await client.nextOfType('pong', 1000);
    for (const pong of [first, second]) {
      expect(pong).toEqual({
        type: 'pong',
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/),
      });
    }
    expect(Date.parse(second.timestamp)).toBeGreaterThan(Date.parse(first.timestamp));
  });
});

describe('idle session expiry', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];

  afterEach(async () => {
    await closeAll(clients.splice(0));
    await t.cleanup();
  });

  it('closes a session idle longer than WS_SESSION_TIMEOUT with closing, then 4010, and spares an active one', async () => {
    t = await startTestApp({
      WS_HEARTBEAT_INTERVAL: '30',
      WS_SESSION_TIMEOUT: '0.5',
      WS_CLEANUP_INTERVAL: '0.1',
    });
    const idle = await WsTestClient.connect(t.wsUrl);
    const active = await WsTestClient.connect(t.wsUrl);
    clients.push(idle, active);
    const pinger = setInterval(() => active.send({ type: 'ping', timestamp: new Date().toISOString() }), 150);
    try {
      expect(await idle.nextOfType('closing', 2000)).toEqual({ type: 'closing', reason: 'session expired' });
      expect((await idle.waitClosed()).code).toBe(4010);
      await sleep(400);
      expect(active.isOpen).toBe(true);
    } finally {
      clearInterval(pinger);
    }
  });

  it('counts pong frames (answers to our pings) as activity', async () => {
    t = await startTestApp({
      WS_HEARTBEAT_INTERVAL: '0.1',
      WS_SESSION_TIMEOUT: '0.5',
      WS_CLEANUP_INTERVAL: '0.1',
    });
    const silent = await WsTestClient.connect(t.wsUrl);
    clients.push(silent);
    await sleep(1200);
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
});
