import request from 'supertest';
import { createIncident } from './support/fixtures';
import { SseTestClient } from './support/sse-client';
import { describeOnEachStore } from './support/stores';
import { startTestApp, TestApp } from './support/test-app';
import { WsTestClient, closeAll } from './support/ws-test-client';

/** Resume, snapshot and SSE resume read the log and the incidents through store-specific SQL: both stores. */
describeOnEachStore('resume_from, snapshot and Last-Event-ID on the store', (store) => {
  let app: TestApp;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    app = await startTestApp(store.overrides());
  });

  afterAll(async () => {
    await closeAll(clients);
    await app.cleanup();
  });

  it('replays exactly the missed matching events, snapshots the active ones, resumes SSE from Last-Event-ID', async () => {
    const first = await createIncident(app.baseUrl, { severity: 'P1' });
    const after = (await request(app.baseUrl).get('/v1/events').expect(200)).body as {
      head_sequence: number;
    };
    const missed = await createIncident(app.baseUrl, { severity: 'P1' });
    await createIncident(app.baseUrl, { severity: 'P4' });

    const client = await WsTestClient.connect(app.wsUrl);
    clients.push(client);
    client.send({
      type: 'subscribe',
      subscription_id: 'p1',
      filters: { severities: ['P1'] },
      resume_from: after.head_sequence,
    });
    expect(await client.next('subscribed')).toMatchObject({ resumed: true });
    const complete = await client.next('replay_complete');
    expect(complete.replayed).toBe(1);
    expect(client.receivedEvents().map((f) => f.event.incident.id as string)).toEqual([missed.id]);

    client.send({
      type: 'subscribe',
      subscription_id: 'board',
      filters: { severities: ['P1'] },
      snapshot: true,
    });
    const snapshot = await client.next('snapshot');
    expect((snapshot.incidents as { id: string }[]).map((i) => i.id)).toEqual([missed.id, first.id]);

    const sse = await SseTestClient.open(`${app.baseUrl}/v1/stream?severities=P1`, {
      'last-event-id': String(after.head_sequence),
    });
    try {
      await sse.next('replay_complete');
      expect(sse.eventFrames().map((e) => e.data.event.incident.id as string)).toEqual([missed.id]);
    } finally {
      sse.close();
    }
  });
});
