import request from 'supertest';
import type { EscalatedEvent } from '../src/events/event.types';
import { EventCapture } from './support/event-capture';
import { eventually } from './support/eventually';
import { createIncident } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { TestApp, startTestApp } from './support/test-app';

type Level = Record<string, unknown>;
const level = (n: number, delayMinutes: number, extra: Level = {}): Level => ({
  level: n,
  delay_minutes: delayMinutes,
  ...extra,
});

/** 0.005 min: each level below is due 300 ms (of the manual clock) after the previous one. */
const DELAY = 0.005;
const DELAY_MS = 300;

describe('escalation: the policy is chosen again when the severity changes', () => {
  let t: TestApp;
  let clock: ManualClock;
  let events: EventCapture;

  /** The `escalated` events of policy levels (a raised severity by PATCH or /escalate is one too: left out). */
  const escalations = (incidentId: string): EscalatedEvent[] =>
    events.envelopes
      .map((e) => e.event)
      .filter(
        (e): e is EscalatedEvent =>
          e.event_type === 'escalated' &&
          e.incident_id === incidentId &&
          e.reason.startsWith('Escalation policy'),
      );

  const policy = async (body: Record<string, unknown>): Promise<{ id: string }> =>
    (await request(t.baseUrl).post('/v1/escalation-policies').send(body).expect(201)).body as { id: string };

  const escalation = async (id: string): Promise<Record<string, unknown>> => {
    const res = await request(t.baseUrl).get(`/v1/incidents/${id}/escalation`);
    return res.status === 200 ? (res.body as Record<string, unknown>) : { status: 'none' };
  };

  /** Waits until the escalation matches (the engine applies a change after it was published). */
  const escalationBecomes = (id: string, expected: Record<string, unknown>, what: string) =>
    eventually(
      async () => {
        const current = await escalation(id);
        return Object.entries(expected).every(([k, v]) => current[k] === v);
      },
      2000,
      what,
    );

  const patch = (id: string, body: Record<string, unknown>) =>
    request(t.baseUrl).patch(`/v1/incidents/${id}`).send(body).expect(200);

  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp({}, undefined, { clock });
    events = new EventCapture(t.app);
  });

  afterEach(async () => {
    const { policies } = (await request(t.baseUrl).get('/v1/escalation-policies').expect(200)).body;
    for (const p of policies as { id: string }[]) {
      await request(t.baseUrl).delete(`/v1/escalation-policies/${p.id}`).expect(204);
    }
    events.clear();
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  it('attaches the policy of the new severity to an incident that had none, counting from the change', async () => {
    const urgent = await policy({ name: 'urgent', severities: ['P1'], levels: [level(1, DELAY)] });
    const incident = await createIncident(t.baseUrl, { severity: 'P3' });
    // A sentinel under the same policy, created now: attached at creation, so the P3 one would be by now too.
    const sentinel = await createIncident(t.baseUrl, { severity: 'P1' });
    await escalationBecomes(sentinel.id, { status: 'active' }, 'the sentinel attached');
    expect(await escalation(incident.id)).toEqual({ status: 'none' });

    await clock.advance(100);
    const changedAt = clock.now();
    await patch(incident.id, { severity: 'P1' });
    await escalationBecomes(incident.id, { status: 'active', policy_id: urgent.id }, 'attached on P1');
    expect(await escalation(incident.id)).toMatchObject({
      level_index: 0,
      next_level: 1,
      next_due_at: new Date(changedAt + DELAY_MS).toISOString(),
    });
    await clock.advanceUntil(() => escalations(incident.id).length === 1, 'the level', { firstMs: DELAY_MS });
    expect(escalations(incident.id)[0].reason).toMatch(/"urgent" level 1/);
  });

  it("keeps the escalation's progress when the same policy still applies", async () => {
    await policy({
      name: 'p1-p2',
      severities: ['P1', 'P2'],
      levels: [level(1, DELAY), level(2, DELAY)],
    });
    const incident = await createIncident(t.baseUrl, { severity: 'P2' });
    await escalationBecomes(incident.id, { status: 'active' }, 'attached');
    await clock.advanceUntil(() => escalations(incident.id).length === 1, 'level 1', { firstMs: DELAY_MS });
    const before = await escalation(incident.id);
    expect(before).toMatchObject({ level_index: 1, next_level: 2 });

    await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/escalate`)
      .send({ to_severity: 'P1', reason: 'worse' })
      .expect(200);
    // Sentinel: a later change that stops it (a move out of Detected) is applied after the re-evaluation, in order;
    // had the re-evaluation restarted the policy, level_index would read 0.
    await patch(incident.id, { state: 'Triaged' });
    await escalationBecomes(incident.id, { status: 'stopped' }, 'stopped by the acknowledgement');
    expect(await escalation(incident.id)).toMatchObject({
      level_index: 1,
      started_at: before.started_at,
      stop_reason: 'acknowledged',
    });
  });

  it('starts the policy of the new severity from its first level when another policy applies', async () => {
    await policy({ name: 'for-p2', severities: ['P2'], levels: [level(1, DELAY), level(2, DELAY)] });
    const forP1 = await policy({
      name: 'for-p1',
      severities: ['P1'],
      levels: [level(1, 2 * DELAY), level(2, DELAY)],
    });
    const incident = await createIncident(t.baseUrl, { severity: 'P2' });
    await escalationBecomes(incident.id, { status: 'active' }, 'attached');
    await clock.advanceUntil(() => escalations(incident.id).length === 1, 'for-p2 level 1', {
      firstMs: DELAY_MS,
    });

    await clock.advance(100);
    const changedAt = clock.now();
    await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/escalate`)
      .send({ to_severity: 'P1', reason: 'customer impact' })
      .expect(200);
    await escalationBecomes(incident.id, { policy_id: forP1.id }, 'replaced by for-p1');
    expect(await escalation(incident.id)).toMatchObject({
      status: 'active',
      policy_name: 'for-p1',
      level_index: 0,
      repeat_round: 0,
      next_due_at: new Date(changedAt + 2 * DELAY_MS).toISOString(),
    });
    // for-p2's level 2 (due 200 ms after the change) never fires; for-p1's level 1 fires at 600 ms.
    await clock.advanceUntil(() => escalations(incident.id).length === 2, 'for-p1 level 1', {
      firstMs: 2 * DELAY_MS,
    });
    expect(escalations(incident.id).map((e) => /"([^"]+)" level (\d)/.exec(e.reason)?.slice(1))).toEqual([
      ['for-p2', '1'],
      ['for-p1', '1'],
    ]);
  });

  it('stops an active escalation when no policy applies to the new severity', async () => {
    await policy({ name: 'urgent-only', severities: ['P1', 'P2'], levels: [level(1, DELAY)] });
    const incident = await createIncident(t.baseUrl, { severity: 'P2' });
    await escalationBecomes(incident.id, { status: 'active' }, 'attached');
    await patch(incident.id, { severity: 'P4' });
    await escalationBecomes(incident.id, { status: 'stopped' }, 'stopped');
    expect(await escalation(incident.id)).toMatchObject({
      stop_reason: 'severity_changed',
      next_due_at: null,
    });
    await clock.advance(2 * DELAY_MS);
    expect(escalations(incident.id)).toEqual([]);
  });

  it('attaches nothing to an acknowledged incident, unless the first level escalates acknowledged ones', async () => {
    await policy({ name: 'ack-stops', severities: ['P1'], levels: [level(1, DELAY)] });
    const sticky = await policy({
      name: 'sticky',
      severities: ['P0'],
      levels: [level(1, DELAY, { stop_on_ack: false })],
    });
    const incident = await createIncident(t.baseUrl, { severity: 'P3' });
    await patch(incident.id, { state: 'Investigating' });
    await patch(incident.id, { severity: 'P1' });
    await patch(incident.id, { severity: 'P0' });
    // Applied in order: the P1 change attached nothing, the P0 one attached `sticky`.
    await escalationBecomes(incident.id, { status: 'active', policy_id: sticky.id }, 'sticky attached');
    await clock.advanceUntil(() => escalations(incident.id).length === 1, 'the sticky level', {
      firstMs: DELAY_MS,
    });
    expect(escalations(incident.id)[0].reason).toMatch(/"sticky" level 1: still Investigating/);
  });

  it("is not applied to the policy's own raise: its next levels run for the raised severity", async () => {
    const raising = await policy({
      name: 'raising',
      severities: ['P2'],
      levels: [level(1, DELAY, { raise_to_severity: 'P1' }), level(2, DELAY)],
    });
    await policy({ name: 'other-p1', severities: ['P1'], levels: [level(1, 10)] });
    const incident = await createIncident(t.baseUrl, { severity: 'P2' });
    await escalationBecomes(incident.id, { status: 'active' }, 'attached');
    await clock.advanceUntil(() => escalations(incident.id).length === 2, 'both levels of `raising`', {
      firstMs: DELAY_MS,
      stepMs: DELAY_MS,
    });
    expect(escalations(incident.id).map((e) => e.reason)).toEqual([
      expect.stringMatching(/"raising" level 1/),
      expect.stringMatching(/"raising" level 2/),
    ]);
    expect(await escalation(incident.id)).toMatchObject({ policy_id: raising.id, status: 'completed' });
  });

  it('stops on POST /acknowledge like any move out of Detected', async () => {
    await policy({ name: 'acked', levels: [level(1, DELAY)] });
    const incident = await createIncident(t.baseUrl);
    await escalationBecomes(incident.id, { status: 'active' }, 'attached');
    await request(t.baseUrl).post(`/v1/incidents/${incident.id}/acknowledge`).send({}).expect(200);
    await escalationBecomes(incident.id, { status: 'stopped' }, 'stopped');
    expect((await escalation(incident.id)).stop_reason).toBe('acknowledged');
    await clock.advance(2 * DELAY_MS);
    expect(escalations(incident.id)).toEqual([]);
  });
});
