import request from 'supertest';
import { alertBody, createIncident } from './support/fixtures';
import { Frame, WsTestClient, eventTypeOf } from './support/ws-test-client';
import { TestApp, startTestApp } from './support/test-app';

/** The event types the REST table of the contract produces (other producers, timers and playbooks, are left out). */
const REST_EVENT_TYPES = [
  'incident_created',
  'incident_updated',
  'incident_resolved',
  'incident_closed',
  'alert_received',
  'alert_converted',
  'escalated',
  'assignment_changed',
  'comment_added',
];

describe('REST actions produce exactly the expected events, in order, on the stream', () => {
  let t: TestApp;
  let client: WsTestClient;
  let seen = 0;

  /** Waits for the next `types.length` events and checks their types in order. */
  async function expectEvents(types: string[]): Promise<Frame[]> {
    const all = await client.events(seen + types.length);
    const fresh = all.slice(seen);
    seen += types.length;
    expect(fresh.map(eventTypeOf)).toEqual(types);
    return fresh.map((f) => f.event);
  }

  beforeAll(async () => {
    t = await startTestApp();
    client = await WsTestClient.connect(t.wsUrl);
    await client.subscribe('rest', { event_types: REST_EVENT_TYPES });
  });

  afterAll(async () => {
    await client.close();
    await t.cleanup();
  });

  it('runs an incident through its whole life with one event sequence per action', async () => {
    const body = alertBody({ severity: 'P2' });
    const accepted = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    const [received, converted, created] = await expectEvents([
      'alert_received',
      'alert_converted',
      'incident_created',
    ]);
    expect(received.alert).toMatchObject({
      id: accepted.alert_id,
      incident_id: accepted.incident_id,
      deduplicated: false,
    });
    expect(converted).toMatchObject({ incident_id: accepted.incident_id, alert: { id: accepted.alert_id } });
    expect(created.incident).toMatchObject({ id: accepted.incident_id, state: 'Detected', severity: 'P2' });
    const id: string = accepted.incident_id;

    const duplicate = (await request(t.baseUrl).post('/v1/alerts').send(body).expect(200)).body;
    expect(duplicate.status).toBe('Duplicate');
    const [dupReceived, dupUpdated] = await expectEvents(['alert_received', 'incident_updated']);
    expect(dupReceived.alert).toMatchObject({ id: duplicate.alert_id, incident_id: id, deduplicated: true });
    expect(dupUpdated).toMatchObject({ incident: { id }, previous_state: null });

    await request(t.baseUrl).patch(`/v1/incidents/${id}`).send({ state: 'Investigating' }).expect(200);
    const [moved] = await expectEvents(['incident_updated']);
    expect(moved).toMatchObject({ incident: { id, state: 'Investigating' }, previous_state: 'Detected' });

    await request(t.baseUrl)
      .patch(`/v1/incidents/${id}`)
      .send({ assignees: ['ann', 'bob'] })
      .expect(200);
    const [, assigned] = await expectEvents(['incident_updated', 'assignment_changed']);
    expect(assigned).toMatchObject({ incident_id: id, assignees: ['ann', 'bob'] });

    await request(t.baseUrl).patch(`/v1/incidents/${id}`).send({ severity: 'P1' }).expect(200);
    const [, raised] = await expectEvents(['incident_updated', 'escalated']);
    expect(raised).toMatchObject({ incident_id: id, from_severity: 'P2', to_severity: 'P1' });

    await request(t.baseUrl)
      .post(`/v1/incidents/${id}/escalate`)
      .send({ to_severity: 'P0', reason: 'customers affected' })
      .expect(200);
    const [severityChanged, escalated] = await expectEvents(['incident_updated', 'escalated']);
    expect(severityChanged).toMatchObject({ incident: { id, severity: 'P0' }, previous_state: null });
    expect(escalated).toMatchObject({
      incident_id: id,
      from_severity: 'P1',
      to_severity: 'P0',
      reason: 'customers affected',
    });

    await request(t.baseUrl)
      .post(`/v1/incidents/${id}/comments`)
      .send({ author: 'ann', comment: 'on it' })
      .expect(201);
    const [comment] = await expectEvents(['comment_added']);
    expect(comment).toMatchObject({ incident_id: id, author: 'ann', comment: 'on it' });

    await request(t.baseUrl)
      .post(`/v1/incidents/${id}/resolve`)
      .send({ resolved_by: 'ann', method: 'Manual', notes: 'restarted' })
      .expect(200);
    const [resolved] = await expectEvents(['incident_resolved']);
    expect(resolved.incident).toMatchObject({ id, state: 'Resolved' });

    await request(t.baseUrl).post(`/v1/incidents/${id}/close`).send({}).expect(200);
    const [closed] = await expectEvents(['incident_closed']);
    expect(closed.incident).toMatchObject({ id, state: 'Closed' });

    await client.expectNothingPending();
  });

  it('publishes incident_created alone for POST /v1/incidents', async () => {
    const created = await createIncident(t.baseUrl);
    const [event] = await expectEvents(['incident_created']);
    expect(event.incident.id).toBe(created.id);
    await client.expectNothingPending();
  });

  it('publishes nothing for a rejected request', async () => {
    await request(t.baseUrl).post('/v1/alerts').send({ title: 'no source' }).expect(400);
    await client.expectNothingPending();
  });
});
