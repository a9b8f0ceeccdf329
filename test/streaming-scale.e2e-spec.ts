import { ConnectionService } from '../src/streaming/connections/connection.service';
import { makeIncident } from './support/fixtures';
import { publish } from './support/publish';
import { WsTestClient, closeAll } from './support/ws-test-client';
import { TestApp, startTestApp } from './support/test-app';

const CONNECTIONS = 1000;
const BATCH = 100;

describe('1,000 concurrent connections', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    for (let i = 0; i < CONNECTIONS; i += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, async (_, j) => {
          const client = await WsTestClient.connect(t.wsUrl);
          // Half of them want P0 incidents, the other half P3 ones.
          await client.subscribe('half', { severities: [(i + j) % 2 === 0 ? 'P0' : 'P3'] });
          return client;
        }),
      );
      clients.push(...batch);
    }
  }, 60_000);

  afterAll(async () => {
    for (let i = 0; i < clients.length; i += BATCH) await closeAll(clients.slice(i, i + BATCH));
    await t.cleanup();
  }, 60_000);

  it('holds every connection', () => {
    expect(t.app.get(ConnectionService).size).toBe(CONNECTIONS);
  });

  it('delivers a broadcast to each of them, once', async () => {
    await publish(
      t.app,
      { event_type: 'system_event', category: 'test', message: 'to all', metadata: {} },
      null,
    );
    const received = await Promise.all(clients.map((c) => c.events(1, 10_000)));
    for (const events of received) expect(events.map((e) => e.event.message)).toEqual(['to all']);
  });

  it('delivers a filtered event to exactly the matching half', async () => {
    const incident = makeIncident({ severity: 'P0', title: 'p0 for half' });
    await publish(t.app, { event_type: 'incident_created', incident }, incident);
    const matching = clients.filter((_, i) => i % 2 === 0);
    const others = clients.filter((_, i) => i % 2 === 1);
    await Promise.all(matching.map((c) => c.events(2, 10_000)));
    // A sentinel for the other half, published after: each connection gets events in publish order, so once it
    // arrives, a P0 that had (wrongly) been sent to them would be there too.
    const sentinel = makeIncident({ severity: 'P3', title: 'sentinel' });
    await publish(t.app, { event_type: 'incident_created', incident: sentinel }, sentinel);
    await Promise.all(others.map((c) => c.events(2, 10_000)));
    for (const c of matching) {
      expect(c.receivedEvents().map((e) => e.event.event_type)).toEqual(['system_event', 'incident_created']);
    }
    for (const c of others) {
      expect(c.receivedEvents().map((e) => e.event.incident?.title ?? e.event.message)).toEqual([
        'to all',
        'sentinel',
      ]);
    }
  });
});
