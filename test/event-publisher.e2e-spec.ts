import { EventPublisher } from '../src/events/event-publisher.service';
import { EventType } from '../src/events/event.types';
import { IncidentsRepository } from '../src/incidents/incidents.repository';
import { ConnectionService } from '../src/streaming/connections/connection.service';
import { EventCapture } from './support/event-capture';
import { makeIncident } from './support/fixtures';
import { startTestApp, TestApp } from './support/test-app';
import { WsTestClient } from './support/ws-test-client';

describe('EventPublisher: store, log and publish as one unit of work', () => {
  let t: TestApp;
  let publisher: EventPublisher;
  let incidents: IncidentsRepository;
  let events: EventCapture;

  beforeAll(async () => {
    t = await startTestApp();
    publisher = t.app.get(EventPublisher);
    incidents = t.app.get(IncidentsRepository);
    events = new EventCapture(t.app);
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  beforeEach(() => events.clear());

  const store = (title: string, fail = false) =>
    publisher.run(async (tx, recorder) => {
      const incident = makeIncident({ title });
      await incidents.insert(tx, incident);
      recorder.record({ event_type: EventType.IncidentCreated, incident }, incident);
      if (fail) throw new Error(`unit ${title} failed after writing`);
      return incident;
    });

  it('commits concurrent units together, rolls back only the failing one, publishes in submission order', async () => {
    const results = await Promise.allSettled([
      store('a'),
      store('b'),
      store('c', true),
      store('d'),
      store('e'),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    const stored = await Promise.all(
      results.map((r) => (r.status === 'fulfilled' ? incidents.get(r.value.id) : Promise.resolve(undefined))),
    );
    expect(stored.map((i) => i?.title)).toEqual(['a', 'b', undefined, 'd', 'e']);

    const titles = events.envelopes.map((e) =>
      e.event.event_type === 'incident_created' ? e.event.incident.title : '',
    );
    expect(titles).toEqual(['a', 'b', 'd', 'e']);
    const sequences = events.envelopes.map((e) => e.sequence);
    expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
    expect(new Set(sequences).size).toBe(4);
  });

  it('publishes nothing and stores nothing when a lone unit fails', async () => {
    await expect(store('lonely', true)).rejects.toThrow('lonely');
    expect(events.envelopes).toHaveLength(0);
  });

  it('keeps sequences gapless and increasing across many concurrent units', async () => {
    await Promise.all(Array.from({ length: 200 }, (_, i) => store(`bulk-${i}`)));
    const sequences = events.envelopes.map((e) => e.sequence);
    expect(sequences).toHaveLength(200);
    expect(sequences.every((s, i) => i === 0 || s === sequences[i - 1] + 1)).toBe(true);
    const titles = events.envelopes.map((e) =>
      e.event.event_type === 'incident_created' ? e.event.incident.title : '',
    );
    expect(titles).toEqual(Array.from({ length: 200 }, (_, i) => `bulk-${i}`));
  });

  it("writes a commit's events to the subscribers in the commit's own turn, not one event-loop iteration later", async () => {
    const client = await WsTestClient.connect(t.wsUrl);
    try {
      await client.subscribe('all');
      const [connection] = [...t.app.get(ConnectionService).values()];
      const incident = await store('written-at-once');
      // The unit resolves right after its events are published: they have left the send queue by then (written to
      // the socket), where a flush at the end of the turn would still hold them.
      expect(connection.queue.isEmpty).toBe(true);
      const frame = await client.waitFor((f) => f.type === 'event');
      expect(frame.event.incident.id).toBe(incident.id);
    } finally {
      await client.close();
    }
  });
});
