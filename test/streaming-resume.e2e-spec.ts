import request from 'supertest';
import { DatabaseService } from '../src/storage/database.service';
import { createIncident } from './support/fixtures';
import { publish, publishAll, systemEvent } from './support/publish';
import { startTestApp, TestApp } from './support/test-app';
import { Frame, WsTestClient, closeAll } from './support/ws-test-client';

/** Resume from a sequence and snapshot on subscribe (contract section 7), over the real app and real sockets. */
describe('WebSocket resume_from and snapshot', () => {
  let app: TestApp;
  const clients: WsTestClient[] = [];

  beforeEach(async () => {
    app = await startTestApp();
  });

  afterEach(async () => {
    await closeAll(clients.splice(0));
    await app.cleanup();
  });

  async function connect(): Promise<WsTestClient> {
    const client = await WsTestClient.connect(app.wsUrl);
    clients.push(client);
    return client;
  }

  /** Every stored event's sequence, oldest first. */
  async function storedEvents(): Promise<
    { sequence: number; event_type: string; incident_id: string | null }[]
  > {
    const body = (await request(app.baseUrl).get('/v1/events?limit=1000').expect(200)).body as {
      events: { sequence: number; event_type: string; incident_id: string | null }[];
    };
    return body.events;
  }

  function sequencesOf(frames: Frame[]): number[] {
    return frames.filter((f) => f.type === 'event').map((f) => f.sequence as number);
  }

  /** Frames up to and including the `replay_complete` of `subscriptionId`. */
  async function untilReplayComplete(client: WsTestClient, subscriptionId: string): Promise<Frame> {
    return client.waitFor((f) => f.type === 'replay_complete' && f.subscription_id === subscriptionId);
  }

  it('replays exactly the missed matching events after a reconnect, then continues live with no gap', async () => {
    const first = await connect();
    await first.subscribe('p1', { severities: ['P1'] });
    const seen = await createIncident(app.baseUrl, { severity: 'P1' });
    const [created] = await first.events(1);
    expect(created.event.incident.id).toBe(seen.id);
    const lastSeen = created.sequence as number;
    await first.close();

    // Missed while away: two P1 incidents (one commented) and a P3 one that the filter excludes.
    const missedA = await createIncident(app.baseUrl, { severity: 'P1' });
    await createIncident(app.baseUrl, { severity: 'P3' });
    const missedB = await createIncident(app.baseUrl, { severity: 'P1' });
    await request(app.baseUrl)
      .post(`/v1/incidents/${missedA.id}/comments`)
      .send({ author: 'sre', comment: 'looking' })
      .expect(201);

    const second = await connect();
    second.send({
      type: 'subscribe',
      subscription_id: 'p1',
      filters: { severities: ['P1'] },
      resume_from: lastSeen,
    });
    const subscribed = await second.next('subscribed');
    expect(subscribed).toMatchObject({ subscription_id: 'p1', resumed: true });
    const complete = await untilReplayComplete(second, 'p1');
    const replayed = second.frames.filter((f) => f.type === 'event');

    const expected = (await storedEvents()).filter(
      (e) =>
        e.sequence > lastSeen &&
        (e.incident_id === missedA.id || e.incident_id === missedB.id) &&
        e.sequence <= (subscribed.position as number),
    );
    expect(sequencesOf(replayed)).toEqual(expected.map((e) => e.sequence));
    expect(replayed.map((f) => f.event.event_type as string)).toEqual([
      'incident_created',
      'incident_created',
      'comment_added',
    ]);
    expect(complete).toEqual({
      type: 'replay_complete',
      subscription_id: 'p1',
      replayed: 3,
      position: subscribed.position,
    });
    // The replay comes between `subscribed` and `replay_complete`.
    const order = second.frames.map((f) => f.type as string);
    expect(order.indexOf('subscribed')).toBeLessThan(order.indexOf('event'));

    const live = await createIncident(app.baseUrl, { severity: 'P1' });
    const next = await second.waitFor((f) => f.type === 'event' && f.event.incident?.id === live.id);
    expect(next.sequence).toBeGreaterThan(complete.position as number);
    await second.expectNothingPending();
  });

  it('catches up with events published during a replay: each sequence once and in order, then live', async () => {
    const backlog = Array.from({ length: 400 }, (_, i) => ({
      event: systemEvent(`old ${i}`),
      incident: null,
    }));
    await publishAll(app.app, backlog);
    const client = await connect();
    client.send({ type: 'subscribe', subscription_id: 'all', filters: {}, resume_from: 0 });
    // Live events published while the replay is under way.
    const live = (async () => {
      for (let i = 0; i < 50; i++) await publish(app.app, systemEvent(`live ${i}`), null);
    })();
    await untilReplayComplete(client, 'all');
    await live;
    const stored = await storedEvents();
    const head = stored[stored.length - 1].sequence;
    await client.waitFor((f) => f.type === 'event' && f.sequence === head);
    await client.expectNothingPending();
    const received = sequencesOf(client.frames);
    // Everything stored, once, strictly increasing (a single subscription: replay then held live events).
    expect(received).toEqual(stored.map((e) => e.sequence));
    const complete = client.frames.find((f) => f.type === 'replay_complete') as Frame;
    const completeAt = client.frames.indexOf(complete);
    for (const frame of client.frames.slice(completeAt + 1)) {
      if (frame.type === 'event') expect(frame.sequence).toBeGreaterThan(complete.position as number);
    }
  });

  it('replays a backlog many times the send queue while live events keep coming, without closing the client', async () => {
    const small = await startTestApp({ WS_MAX_PENDING_MESSAGES: '10' });
    try {
      await publishAll(
        small.app,
        Array.from({ length: 300 }, (_, i) => ({ event: systemEvent(`old ${i}`), incident: null })),
      );
      const client = await WsTestClient.connect(small.wsUrl);
      clients.push(client);
      client.send({ type: 'subscribe', subscription_id: 'all', filters: {}, resume_from: 0 });
      const live = (async () => {
        for (let i = 0; i < 100; i++) await publish(small.app, systemEvent(`live ${i}`), null);
      })();
      const complete = await untilReplayComplete(client, 'all');
      await live;
      const body = (await request(small.baseUrl).get('/v1/events?limit=1000').expect(200)).body as {
        events: { sequence: number }[];
        head_sequence: number;
      };
      await client.waitFor((f) => f.type === 'event' && f.sequence === body.head_sequence);
      await client.expectNothingPending();
      expect(client.isOpen).toBe(true);
      expect(client.frames.some((f) => f.type === 'gap')).toBe(false);
      expect(sequencesOf(client.frames)).toEqual(body.events.map((e) => e.sequence));
      expect(complete.position).toBeGreaterThanOrEqual(300);
    } finally {
      await small.cleanup();
    }
  });

  it('never sends a sequence twice with overlapping subscriptions and several replays on one connection', async () => {
    await createIncident(app.baseUrl, { severity: 'P1' });
    await createIncident(app.baseUrl, { severity: 'P2' });
    const client = await connect();
    // A live subscription to everything, then more incidents (delivered through it).
    await client.subscribe('everything');
    await createIncident(app.baseUrl, { severity: 'P1' });
    await createIncident(app.baseUrl, { severity: 'P3' });
    await client.events(2);
    // Two resumed subscriptions overlapping it and each other, from the start of the log.
    client.send({
      type: 'subscribe',
      subscription_id: 'p1',
      filters: { severities: ['P1'] },
      resume_from: 0,
    });
    client.send({
      type: 'subscribe',
      subscription_id: 'p1-p2',
      filters: { severities: ['P1', 'P2'] },
      resume_from: 0,
    });
    await untilReplayComplete(client, 'p1');
    await untilReplayComplete(client, 'p1-p2');
    await createIncident(app.baseUrl, { severity: 'P1' });
    const stored = await storedEvents();
    await client.waitFor((f) => f.type === 'event' && f.sequence === stored[stored.length - 1].sequence);
    await client.expectNothingPending();

    const received = sequencesOf(client.frames);
    expect(new Set(received).size).toBe(received.length);
    // Exactly the union: everything since the first subscription, plus the earlier P1/P2 events.
    expect([...received].sort((a, b) => a - b)).toEqual(stored.map((e) => e.sequence));
    const replays = client.frames.filter((f) => f.type === 'replay_complete');
    // The earlier P1 incident (and the startup system_event, which every subscription receives) went to the
    // first replay, the earlier P2 to the second; later ones came live.
    expect(replays.map((f) => [f.subscription_id, f.replayed])).toEqual([
      ['p1', 2],
      ['p1-p2', 1],
    ]);
  });

  it('resumes after a gap by re-subscribing the same id: only what was not delivered', async () => {
    const client = await connect();
    await client.subscribe('s', { event_types: ['system_event'] });
    await publish(app.app, systemEvent('one'), null);
    await publish(app.app, systemEvent('two'), null);
    const [one] = await client.events(2);
    // The same subscription again, from before everything: what it delivered already is not sent again.
    client.send({
      type: 'subscribe',
      subscription_id: 's',
      filters: { event_types: ['system_event'] },
      resume_from: (one.sequence as number) - 1,
    });
    const complete = await untilReplayComplete(client, 's');
    expect(complete.replayed).toBe(0);
    await client.expectNothingPending();
    expect(sequencesOf(client.frames)).toHaveLength(2);
  });

  it('answers resumed: false with oldest_sequence when the events after resume_from are no longer stored', async () => {
    for (let i = 0; i < 5; i++) await publish(app.app, systemEvent(`e${i}`), null);
    const stored = await storedEvents();
    const oldestKept = stored[3].sequence;
    // Retention removed the oldest ones.
    await app.app
      .get(DatabaseService)
      .db.deleteFrom('event_log')
      .where('sequence', '<', oldestKept)
      .execute();
    const client = await connect();
    client.send({ type: 'subscribe', subscription_id: 'old', filters: {}, resume_from: stored[0].sequence });
    expect(await client.next('subscribed')).toMatchObject({ resumed: false, oldest_sequence: oldestKept });
    // Exactly at the boundary (the event before the oldest kept was seen): everything after it is stored.
    client.send({ type: 'subscribe', subscription_id: 'edge', filters: {}, resume_from: oldestKept - 1 });
    expect(await client.next('subscribed')).toMatchObject({ subscription_id: 'edge', resumed: true });
    const complete = await untilReplayComplete(client, 'edge');
    expect(complete.replayed).toBe(stored.length - 3);
    // Beyond the head: the client's position is not this log's.
    client.send({ type: 'subscribe', subscription_id: 'future', filters: {}, resume_from: 1_000_000 });
    expect(await client.next('subscribed')).toMatchObject({ subscription_id: 'future', resumed: false });
    // Not resumed: live from the position all the same.
    await publish(app.app, systemEvent('after'), null);
    await client.waitFor((f) => f.type === 'event' && f.event.message === 'after');
  });

  it.each([
    ['a negative resume_from', { resume_from: -1 }],
    ['a fractional resume_from', { resume_from: 1.5 }],
    ['a string resume_from', { resume_from: '5' }],
    ['a null resume_from', { resume_from: null }],
    ['a non-boolean snapshot', { snapshot: 'yes' }],
    ['resume_from with snapshot', { resume_from: 0, snapshot: true }],
  ])('rejects %s as INVALID_MESSAGE and subscribes nothing', async (_name, extra) => {
    const client = await connect();
    const reply = await client.request({ type: 'subscribe', subscription_id: 'x', filters: {}, ...extra });
    expect(reply).toMatchObject({ type: 'error', code: 'INVALID_MESSAGE' });
    await publish(app.app, systemEvent('not for x'), null);
    await client.expectNothingPending();
  });

  it('snapshot: the matching active incidents as of position, then live events from position + 1', async () => {
    const p1 = await createIncident(app.baseUrl, { severity: 'P1' });
    await createIncident(app.baseUrl, { severity: 'P2' });
    const resolved = await createIncident(app.baseUrl, { severity: 'P1' });
    await request(app.baseUrl)
      .post(`/v1/incidents/${resolved.id}/resolve`)
      .send({ resolved_by: 'sre', method: 'Manual', notes: 'fixed' })
      .expect(200);
    const newer = await createIncident(app.baseUrl, { severity: 'P1' });
    const client = await connect();
    client.send({
      type: 'subscribe',
      subscription_id: 'board',
      filters: { severities: ['P1'] },
      snapshot: true,
    });
    const subscribed = await client.next();
    expect(subscribed).toMatchObject({ type: 'subscribed', subscription_id: 'board' });
    const snapshot = await client.next();
    expect(snapshot).toMatchObject({
      type: 'snapshot',
      subscription_id: 'board',
      position: subscribed.position,
      truncated: false,
    });
    expect((snapshot.incidents as { id: string }[]).map((i) => i.id)).toEqual([newer.id, p1.id]);
    const stored = await storedEvents();
    expect(snapshot.position).toBe(stored[stored.length - 1].sequence);
    const live = await createIncident(app.baseUrl, { severity: 'P1' });
    const [created] = await client.events(1);
    expect(created.event.incident.id).toBe(live.id);
    expect(created.sequence).toBe((snapshot.position as number) + 1);
  });

  it('snapshot under concurrent writes: no event falls between the snapshot and the stream', async () => {
    for (let i = 0; i < 10; i++) await createIncident(app.baseUrl, { severity: 'P2' });
    const client = await connect();
    const writes = Promise.all(
      Array.from({ length: 40 }, () =>
        request(app.baseUrl)
          .post('/v1/incidents')
          .send({
            source: 'manual',
            title: `concurrent ${Math.random()}`,
            description: 'x',
            severity: 'P2',
            incident_type: 'Performance',
          }),
      ),
    );
    client.send({ type: 'subscribe', subscription_id: 'all', filters: {}, snapshot: true });
    await writes;
    const snapshot = await client.next('snapshot');
    const listed = (
      await request(app.baseUrl).get('/v1/incidents?active_only=true&page_size=100').expect(200)
    ).body as { incidents: { id: string }[] };
    const stored = await storedEvents();
    const createdAfter = stored.filter(
      (e) => e.event_type === 'incident_created' && e.sequence > (snapshot.position as number),
    );
    await client.events(createdAfter.length);
    await client.expectNothingPending();
    const streamed = client
      .receivedEvents()
      .filter((f) => f.event.event_type === 'incident_created')
      .map((f) => f.event.incident.id as string);
    const inSnapshot = (snapshot.incidents as { id: string }[]).map((i) => i.id);
    // Snapshot plus stream is exactly the active incidents, none twice.
    expect(new Set([...inSnapshot, ...streamed]).size).toBe(inSnapshot.length + streamed.length);
    expect([...inSnapshot, ...streamed].sort()).toEqual(listed.incidents.map((i) => i.id).sort());
    // Every event after the position arrived, from position + 1 on.
    expect(sequencesOf(client.frames)).toEqual(
      stored.filter((e) => e.sequence > (snapshot.position as number)).map((e) => e.sequence),
    );
  });

  it('keeps a filtered view exact: an incident leaving the filter is announced, then no longer streamed', async () => {
    const incident = await createIncident(app.baseUrl, { severity: 'P2' });
    const client = await connect();
    await client.subscribe('detected-p2', { states: ['Detected'], severities: ['P2'] });
    await request(app.baseUrl)
      .patch(`/v1/incidents/${incident.id}`)
      .send({ state: 'Investigating' })
      .expect(200);
    const [left] = await client.events(1);
    expect(left.event).toMatchObject({ event_type: 'incident_updated', previous_state: 'Detected' });
    expect(left.event.incident.state).toBe('Investigating');
    // Outside the view now: a comment on it is not this subscription's any more.
    await request(app.baseUrl)
      .post(`/v1/incidents/${incident.id}/comments`)
      .send({ author: 'sre', comment: 'still here' })
      .expect(201);
    await client.expectNothingPending();
    // Replayed the same way: a resumed subscription learns it left as well.
    const later = await connect();
    later.send({
      type: 'subscribe',
      subscription_id: 'detected-p2',
      filters: { states: ['Detected'], severities: ['P2'] },
      resume_from: 0,
    });
    await untilReplayComplete(later, 'detected-p2');
    const replayedTypes = later.receivedEvents().map((f) => f.event.event_type as string);
    expect(replayedTypes.filter((t) => t !== 'system_event')).toEqual([
      'incident_created',
      'incident_updated',
    ]);
  });
});
