import request from 'supertest';
import type { Incident } from '../src/domain';
import type { EventEnvelope } from '../src/events/event-envelope';
import { EventCapture } from './support/event-capture';
import { eventually } from './support/eventually';
import { createIncident } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { startTestApp, TestApp } from './support/test-app';
import { Frame, WsTestClient, eventTypeOf } from './support/ws-test-client';

interface LoggedEvent {
  sequence: number;
  event_type: string;
  incident_id: string | null;
  event: Record<string, unknown> & { incident?: Incident };
}

/**
 * Contract section 7: every change of severity (PATCH, /escalate, an escalation policy, a playbook) publishes
 * incident_updated, always before its escalated; and the four events that can move an incident out of a filtered
 * view are published with the incident as it was before the change (`previous` on the envelope).
 */
describe('changes of severity and state: published with the incident before and after', () => {
  let t: TestApp;
  let clock: ManualClock;
  let events: EventCapture;
  let client: WsTestClient;

  /** The envelopes published for one incident, in order. */
  const published = (incidentId: string): EventEnvelope[] =>
    events.envelopes.filter((e) => e.incident?.id === incidentId);

  /** [event_type, severity before, severity after] of each envelope published for the incident. */
  const severities = (incidentId: string) =>
    published(incidentId).map((e) => [e.event.event_type, e.previous?.severity, e.incident?.severity]);

  /** The incident's stream frames of the subscribed types, as the WebSocket client received them. */
  const frames = (incidentId: string): Frame[] =>
    client
      .receivedEvents()
      .filter((f) => f.event.incident_id === incidentId || f.event.incident?.id === incidentId);

  const logOf = async (incidentId: string): Promise<LoggedEvent[]> =>
    (await request(t.baseUrl).get(`/v1/incidents/${incidentId}/events`).expect(200)).body.events;

  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp({}, undefined, { clock });
    events = new EventCapture(t.app);
    client = await WsTestClient.connect(t.wsUrl);
    await client.subscribe('changes', { event_types: ['incident_updated', 'escalated'] });
  });

  afterEach(async () => {
    for (const kind of ['escalation-policies', 'playbooks']) {
      const body = (await request(t.baseUrl).get(`/v1/${kind}`).expect(200)).body as Record<
        string,
        { id: string }[]
      >;
      for (const { id } of Object.values(body)[0]) {
        await request(t.baseUrl).delete(`/v1/${kind}/${id}`).expect(204);
      }
    }
  });

  afterAll(async () => {
    events.stop();
    await client.close();
    await t.cleanup();
  });

  it('/escalate publishes incident_updated then escalated: on the stream, in the log and with the severity before', async () => {
    const incident = await createIncident(t.baseUrl, { severity: 'P2' });
    await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/escalate`)
      .send({ to_severity: 'P0', reason: 'customers affected' })
      .expect(200);

    await client.waitFor((f) => f.event?.event_type === 'escalated' && f.event.incident_id === incident.id);
    const streamed = frames(incident.id);
    expect(streamed.map(eventTypeOf)).toEqual(['incident_updated', 'escalated']);
    expect(streamed[0].event).toMatchObject({
      incident: { id: incident.id, severity: 'P0', state: 'Detected' },
      previous_state: null,
    });
    expect(streamed[1].event).toEqual({
      event_type: 'escalated',
      incident_id: incident.id,
      from_severity: 'P2',
      to_severity: 'P0',
      reason: 'customers affected',
    });

    const log = (await logOf(incident.id)).slice(1);
    expect(log.map((e) => e.event_type)).toEqual(['incident_updated', 'escalated']);
    expect(log[1].sequence).toBe(log[0].sequence + 1);
    expect(log[0].event.incident?.severity).toBe('P0');
    expect(log[1].event).toMatchObject({ from_severity: 'P2', to_severity: 'P0' });
    // The same two entries in the whole log, where a reconnecting client reads them.
    const all = (
      await request(t.baseUrl)
        .get('/v1/events')
        .query({ after_sequence: log[0].sequence - 1, limit: 2 })
        .expect(200)
    ).body.events as LoggedEvent[];
    expect(all.map((e) => [e.sequence, e.event_type])).toEqual(log.map((e) => [e.sequence, e.event_type]));

    expect(severities(incident.id)).toEqual([
      ['incident_created', undefined, 'P2'],
      ['incident_updated', 'P2', 'P0'],
      ['escalated', 'P2', 'P0'],
    ]);
  });

  it('PATCH publishes one incident_updated per change of severity, raised (then escalated) or lowered', async () => {
    const incident = await createIncident(t.baseUrl, { severity: 'P3' });
    await request(t.baseUrl).patch(`/v1/incidents/${incident.id}`).send({ severity: 'P1' }).expect(200);
    await request(t.baseUrl).patch(`/v1/incidents/${incident.id}`).send({ severity: 'P4' }).expect(200);

    const log = (await logOf(incident.id)).map((e) => e.event_type);
    expect(log).toEqual(['incident_created', 'incident_updated', 'escalated', 'incident_updated']);
    expect(severities(incident.id).slice(1)).toEqual([
      ['incident_updated', 'P3', 'P1'],
      ['escalated', 'P3', 'P1'],
      ['incident_updated', 'P1', 'P4'],
    ]);
  });

  it('PATCH, resolve and close carry the state the incident left', async () => {
    const incident = await createIncident(t.baseUrl);
    await request(t.baseUrl).patch(`/v1/incidents/${incident.id}`).send({ state: 'Triaged' }).expect(200);
    await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/resolve`)
      .send({ resolved_by: 'ann', method: 'Manual', notes: '' })
      .expect(200);
    await request(t.baseUrl)
      .patch(`/v1/incidents/${incident.id}`)
      .send({ state: 'Investigating' })
      .expect(200);
    await request(t.baseUrl).post(`/v1/incidents/${incident.id}/close`).send({}).expect(200);

    expect(
      published(incident.id).map((e) => [e.event.event_type, e.previous?.state ?? null, e.incident?.state]),
    ).toEqual([
      ['incident_created', null, 'Detected'],
      ['incident_updated', 'Detected', 'Triaged'],
      ['incident_resolved', 'Triaged', 'Resolved'],
      ['incident_updated', 'Resolved', 'Investigating'],
      ['incident_closed', 'Investigating', 'Closed'],
    ]);
    // The resolution the reopen cleared is in the incident before, not after.
    const reopened = published(incident.id)[3];
    expect(reopened.previous?.resolution).toMatchObject({ resolved_by: 'ann' });
    expect(reopened.incident?.resolution).toBeNull();
  });

  it('an escalation policy raising the severity publishes incident_updated then escalated; one that only notifies, escalated', async () => {
    await request(t.baseUrl)
      .post('/v1/escalation-policies')
      .send({
        name: 'raise-then-notify',
        severities: ['P2'],
        levels: [
          { level: 1, delay_minutes: 0.005, raise_to_severity: 'P1' },
          { level: 2, delay_minutes: 0.005, targets: [{ type: 'team', name: 'sre' }] },
        ],
      })
      .expect(201);
    const incident = await createIncident(t.baseUrl, { severity: 'P2' });
    await eventually(
      async () =>
        (await request(t.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).body?.status === 'active',
      2000,
      'the attached escalation',
    );
    const escalations = () => published(incident.id).filter((e) => e.event.event_type === 'escalated');
    await clock.advanceUntil(() => escalations().length === 2, 'both levels', { firstMs: 300, stepMs: 300 });

    expect(severities(incident.id)).toEqual([
      ['incident_created', undefined, 'P2'],
      ['incident_updated', 'P2', 'P1'],
      ['escalated', 'P2', 'P1'],
      ['escalated', 'P1', 'P1'],
    ]);
    const raised = published(incident.id)[1];
    expect(raised.event).toMatchObject({ previous_state: null, incident: { severity: 'P1' } });
    // The level's timeline entries are on the incident after, not on the one before.
    expect(raised.previous?.timeline.map((e) => e.event_type)).toEqual(['Created']);

    await client.waitFor((f) => f.event?.event_type === 'escalated' && f.event.from_severity === 'P1');
    expect(frames(incident.id).map(eventTypeOf)).toEqual(['incident_updated', 'escalated', 'escalated']);
  });

  it('a playbook raising the severity or adding labels publishes incident_updated with the incident before', async () => {
    const playbook = (
      await request(t.baseUrl)
        .post('/v1/playbooks')
        .send({
          name: 'raise-and-label',
          triggers: { severities: ['P0'], labels: { never: 'matches' } },
          steps: [
            { name: 'label', action: { type: 'add_labels', labels: { triage: 'auto' } } },
            { name: 'raise', action: { type: 'severity_increase' } },
          ],
        })
        .expect(201)
    ).body as { id: string };
    const incident = await createIncident(t.baseUrl, { severity: 'P3', labels: { env: 'prod' } });
    await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/playbooks/${playbook.id}/run`)
      .send({})
      .expect(200);
    await eventually(
      () => published(incident.id).some((e) => e.event.event_type === 'playbook_completed'),
      3000,
      'the finished run',
    );

    const changes = published(incident.id).filter((e) =>
      ['incident_updated', 'escalated'].includes(e.event.event_type),
    );
    expect(
      changes.map((e) => [
        e.event.event_type,
        e.previous?.severity,
        e.incident?.severity,
        e.previous?.labels,
        e.incident?.labels,
      ]),
    ).toEqual([
      ['incident_updated', 'P3', 'P3', { env: 'prod' }, { env: 'prod', triage: 'auto' }],
      ['incident_updated', 'P3', 'P2', { env: 'prod', triage: 'auto' }, { env: 'prod', triage: 'auto' }],
      ['escalated', 'P3', 'P2', { env: 'prod', triage: 'auto' }, { env: 'prod', triage: 'auto' }],
    ]);
    await client.waitFor((f) => f.event?.event_type === 'escalated' && f.event.incident_id === incident.id);
    expect(frames(incident.id).map(eventTypeOf)).toEqual([
      'incident_updated',
      'incident_updated',
      'escalated',
    ]);
  });
});
