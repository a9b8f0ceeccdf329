import type { Socket } from 'node:net';
import { register } from 'prom-client';
import type { Incident } from '../src/domain';
import type { DomainEvent } from '../src/events/event.types';
import { ConnectionService } from '../src/streaming/connections/connection.service';
import {
  SLOW_CONSUMER_CLOSE_DEADLINE_MS,
  SOCKET_HIGH_WATER_BYTES,
} from '../src/streaming/connections/stream-connection';
import { makeIncident } from './support/fixtures';
import { publishAll } from './support/publish';
import { WsTestClient, closeAll } from './support/ws-test-client';
import { TestApp, startTestApp } from './support/test-app';

const MAX_PENDING = 20;
/** Big events fill the kernel's socket buffers quickly, so that the server's own queue comes into play. */
const PADDING = 'x'.repeat(64 * 1024);

/** The TCP socket under a `ws` client; pausing it stops reading, so the server's writes back up. */
function tcpOf(client: WsTestClient): Socket {
  return (client.socket as unknown as { _socket: Socket })._socket;
}

async function counter(name: string): Promise<number> {
  const metric = await register.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('backpressure: a client that stops reading', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ WS_MAX_PENDING_MESSAGES: String(MAX_PENDING) });
  });

  afterAll(async () => {
    await closeAll(clients);
    await t.cleanup();
  });

  it('is shed, then closed 4008, while the others get every event in order and the server stays bounded', async () => {
    const fast = [await WsTestClient.connect(t.wsUrl), await WsTestClient.connect(t.wsUrl)];
    const slow = await WsTestClient.connect(t.wsUrl);
    clients.push(...fast, slow);
    for (const client of clients) await client.subscribe('all');
    const connections = t.app.get(ConnectionService);
    const slowConnection = connections.get(slow.welcome.session_id);
    if (slowConnection === undefined) throw new Error('no server connection for the slow client');
    const shedBefore = await counter('llm_incident_manager_messages_shed_total');
    const closedBefore = await counter('llm_incident_manager_slow_consumers_closed_total');

    tcpOf(slow).pause();
    let published = 0;
    const checkBounded = (): void => {
      expect(slowConnection.queue.size).toBeLessThanOrEqual(MAX_PENDING);
      expect(slowConnection.bufferedAmount).toBeLessThanOrEqual(SOCKET_HIGH_WATER_BYTES + 2 * PADDING.length);
    };

    // Normal-priority events until the slow connection's queue is full and sheds.
    for (
      let batch = 0;
      batch < 60 && (await counter('llm_incident_manager_messages_shed_total')) === shedBefore;
      batch++
    ) {
      await publishAll(t.app, normalEvents(published, 10));
      published += 10;
      await tick();
      checkBounded();
      // The fast clients read each batch before the next: they keep up, as a healthy reader does, rather than be
      // flooded past their own 20-frame queue by 640 KB a turn (a commit's frames leave in the commit's own turn).
      await Promise.all(fast.map((client) => client.events(published, 10_000)));
    }
    expect(await counter('llm_incident_manager_messages_shed_total')).toBeGreaterThan(shedBefore);
    expect(slowConnection.isOpen).toBe(true);

    // Critical events push the shed Normal ones out, then find the queue full of Critical ones: slow consumer.
    for (let batch = 0; batch < 10 && slowConnection.isOpen; batch++) {
      await publishAll(t.app, criticalEvents(published, MAX_PENDING / 2));
      published += MAX_PENDING / 2;
      await tick();
      checkBounded();
      await Promise.all(fast.map((client) => client.events(published, 10_000)));
    }
    expect(slowConnection.isOpen).toBe(false);
    expect(await counter('llm_incident_manager_slow_consumers_closed_total')).toBe(closedBefore + 1);

    // The fast clients got everything, in publish order, while the slow one was stuck.
    for (const client of fast) {
      const events = await client.events(published, 10_000);
      expect(events.map((e) => e.event.incident.title)).toEqual(
        Array.from({ length: published }, (_, i) => `e${i}`),
      );
    }

    // Once it reads again (within the close deadline), the slow client finds a prefix of the stream (with holes
    // where events were shed, and a `gap` for them if its queue had room again meanwhile), then `closing`, then the
    // close code 4008.
    tcpOf(slow).resume();
    expect((await slow.waitClosed(10_000)).code).toBe(4008);
    const frames = slow.frames.slice(2).filter((f) => f.type !== 'gap');
    expect(frames.at(-1)).toEqual({ type: 'closing', reason: 'slow consumer' });
    const titles = frames.slice(0, -1).map((f) => Number(String(f.event.incident.title).slice(1)));
    expect(titles.length).toBeLessThan(published);
    expect(titles).toEqual([...titles].sort((a, b) => a - b));
    for (let i = 0; i < 100 && connections.get(slow.welcome.session_id) !== undefined; i++) await sleep(10);
    expect(connections.get(slow.welcome.session_id)).toBeUndefined();
  }, 30_000);

  it('tells a client whose queue shed events which ones, in one gap, once it reads again', async () => {
    const reference = await WsTestClient.connect(t.wsUrl);
    const slow = await WsTestClient.connect(t.wsUrl);
    clients.push(reference, slow);
    for (const client of [reference, slow]) await client.subscribe('all');
    const shedBefore = await counter('llm_incident_manager_messages_shed_total');

    tcpOf(slow).pause();
    let published = 0;
    for (
      let batch = 0;
      batch < 60 && (await counter('llm_incident_manager_messages_shed_total')) === shedBefore;
      batch++
    ) {
      await publishAll(t.app, normalEvents(published, 10));
      published += 10;
      await tick();
      // The reference reads each batch before the next (see the test above): only the slow client sheds.
      await reference.events(published, 10_000);
    }
    const shed = (await counter('llm_incident_manager_messages_shed_total')) - shedBefore;
    expect(shed).toBeGreaterThan(0);

    tcpOf(slow).resume();
    await slow.next('gap', 10_000);
    // A sentinel event after the gap: everything due before it has arrived once it has.
    await publishAll(t.app, normalEvents(published, 1));
    published += 1;
    const all = (await reference.events(published, 10_000)).map((f) => f.sequence as number);
    await slow.waitFor((f) => f.type === 'event' && f.sequence === all.at(-1), 10_000);

    // Every event shed in the last batch (one turn, so one gap): the sequences it did not get, no other.
    const received = new Set(slow.receivedEvents().map((f) => f.sequence as number));
    const missing = all.filter((sequence) => !received.has(sequence));
    expect(missing.length).toBe(shed);
    expect(slow.frames.filter((f) => f.type === 'gap')).toEqual([
      {
        type: 'gap',
        from_sequence: Math.min(...missing),
        to_sequence: Math.max(...missing),
        dropped: missing.length,
      },
    ]);
    expect(slow.isOpen).toBe(true);
  }, 30_000);

  it('cuts a slow consumer that never reads its close frame at the close deadline, and counts it', async () => {
    const slow = await WsTestClient.connect(t.wsUrl);
    clients.push(slow);
    await slow.subscribe('all');
    const connections = t.app.get(ConnectionService);
    const timeoutsBefore = await counter('llm_incident_manager_slow_consumer_close_timeouts_total');

    tcpOf(slow).pause();
    let published = 0;
    const slowConnection = connections.get(slow.welcome.session_id);
    for (let batch = 0; batch < 100 && slowConnection?.isOpen === true; batch++) {
      await publishAll(t.app, criticalEvents(published, MAX_PENDING, PADDING));
      published += MAX_PENDING;
      await tick();
    }
    expect(slowConnection?.isOpen).toBe(false);
    const closedAt = Date.now();

    // Still not reading: released at the deadline (before `ws`'s own close timeout), not held until the peer reads.
    while (connections.get(slow.welcome.session_id) !== undefined && Date.now() - closedAt < 10_000) {
      await sleep(50);
    }
    const heldMs = Date.now() - closedAt;
    expect(heldMs).toBeGreaterThanOrEqual(SLOW_CONSUMER_CLOSE_DEADLINE_MS - 100);
    expect(heldMs).toBeLessThan(SLOW_CONSUMER_CLOSE_DEADLINE_MS + 1500);
    expect(await counter('llm_incident_manager_slow_consumer_close_timeouts_total')).toBe(timeoutsBefore + 1);

    tcpOf(slow).resume();
    await slow.waitClosed(10_000);
  }, 30_000);
});

function normalEvents(from: number, count: number): { event: DomainEvent; incident: Incident | null }[] {
  return Array.from({ length: count }, (_, i) => {
    const incident = makeIncident({ title: `e${from + i}`, severity: 'P3', description: PADDING });
    return { event: { event_type: 'incident_updated', incident, previous_state: null }, incident };
  });
}

function criticalEvents(
  from: number,
  count: number,
  description = '',
): { event: DomainEvent; incident: Incident | null }[] {
  return Array.from({ length: count }, (_, i) => {
    const incident = makeIncident({ title: `e${from + i}`, severity: 'P0', description });
    return { event: { event_type: 'incident_created', incident }, incident };
  });
}
