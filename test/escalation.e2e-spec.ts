import BetterSqlite3 from 'better-sqlite3';
import { withoutNodeLabel } from './support/metrics-text';
import request from 'supertest';
import type { EscalatedEvent } from '../src/events/event.types';
import { EscalationPoliciesService } from '../src/escalation/escalation-policies.service';
import { EventCapture } from './support/event-capture';
import { eventually } from './support/eventually';
import { createIncident } from './support/fixtures';
import { HttpReceiver } from './support/http-receiver';
import { ManualClock } from './support/manual-clock';
import { startTestApp, TestApp } from './support/test-app';
import { WsTestClient } from './support/ws-test-client';

type Level = Record<string, unknown>;
const level = (n: number, delayMinutes: number | string, extra: Level = {}): Level => ({
  level: n,
  delay_minutes: delayMinutes,
  ...extra,
});

describe('escalation policies: REST', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('creates a policy with defaults, sorts its levels, replaces and deletes it', async () => {
    const res = await request(t.baseUrl)
      .post('/v1/escalation-policies')
      .send({
        name: 'urgent',
        severities: ['P0', 'P1'],
        levels: [
          level(2, 15, { targets: [{ type: 'team', name: 'sre' }], raise_to_severity: 'P0' }),
          level(1, 5, {
            targets: [
              { type: 'user', name: 'alice' },
              {
                type: 'webhook',
                name: 'pager',
                url: 'http://127.0.0.1:8999/page',
                headers: { Authorization: 'Bearer s3cret' },
              },
            ],
          }),
        ],
      })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'urgent',
      description: '',
      enabled: true,
      severities: ['P0', 'P1'],
      repeat: 0,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      levels: [
        {
          level: 1,
          delay_minutes: 5,
          targets: [
            { type: 'user', name: 'alice', url: null, headers: {} },
            {
              type: 'webhook',
              name: 'pager',
              url: 'http://127.0.0.1:8999/page',
              headers: { Authorization: '********' },
            },
          ],
          raise_to_severity: null,
          stop_on_ack: true,
        },
        {
          level: 2,
          delay_minutes: 15,
          targets: [{ type: 'team', name: 'sre', url: null, headers: {} }],
          raise_to_severity: 'P0',
          stop_on_ack: true,
        },
      ],
    });
    const id = res.body.id as string;
    const fetched = (await request(t.baseUrl).get(`/v1/escalation-policies/${id}`).expect(200)).body;
    expect(fetched).toEqual(res.body);
    const policies = t.app.get(EscalationPoliciesService);
    // What GET returns can be sent back as is (nulls included); a masked value keeps the stored secret.
    await request(t.baseUrl).put(`/v1/escalation-policies/${id}`).send(fetched).expect(200);
    expect((await policies.get(id)).levels[0].targets[1].headers).toEqual({ Authorization: 'Bearer s3cret' });
    const replaced = await request(t.baseUrl)
      .put(`/v1/escalation-policies/${id}`)
      .send({ name: 'urgent', enabled: false, repeat: 2, levels: [level(1, 0.5)] })
      .expect(200);
    expect(replaced.body).toMatchObject({ id, enabled: false, repeat: 2, severities: [] });
    expect((await request(t.baseUrl).get('/v1/escalation-policies').expect(200)).body.policies).toHaveLength(
      1,
    );
    await request(t.baseUrl).delete(`/v1/escalation-policies/${id}`).expect(204);
    await request(t.baseUrl).get(`/v1/escalation-policies/${id}`).expect(404);
    await request(t.baseUrl)
      .put(`/v1/escalation-policies/${id}`)
      .send({ name: 'x', levels: [level(1, 1)] })
      .expect(404);
  });

  it.each([
    ['no levels', { levels: [] }],
    ['a negative delay', { levels: [level(1, -1)] }],
    ['a string delay', { levels: [level(1, '5')] }],
    ['a duplicate level number', { levels: [level(1, 1), level(1, 2)] }],
    [
      'a webhook target without url',
      { levels: [level(1, 1, { targets: [{ type: 'webhook', name: 'w' }] })] },
    ],
    ['an unknown target type', { levels: [level(1, 1, { targets: [{ type: 'email', name: 'e' }] })] }],
    ['a null delay', { levels: [level(1, 1, { delay_minutes: null })] }],
    ['an unknown severity filter', { severities: ['P7'] }],
    ['a null level', { levels: [null] }],
    ['a repeat above 10', { repeat: 11 }],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_what, override) => {
    const res = await request(t.baseUrl)
      .post('/v1/escalation-policies')
      .send({ name: 'bad', levels: [level(1, 1)], ...override })
      .expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('answers 404 for the escalation of an incident without one', async () => {
    const incident = await createIncident(t.baseUrl);
    await request(t.baseUrl).get(`/v1/incidents/${incident.id}/escalation`).expect(404);
  });
});

describe('escalation engine', () => {
  let t: TestApp;
  let clock: ManualClock;
  let events: EventCapture;
  let receiver: HttpReceiver;

  const escalations = (incidentId: string): EscalatedEvent[] =>
    events.envelopes
      .map((e) => e.event)
      .filter((e): e is EscalatedEvent => e.event_type === 'escalated' && e.incident_id === incidentId);

  const policy = async (body: Record<string, unknown>) =>
    (await request(t.baseUrl).post('/v1/escalation-policies').send(body).expect(201)).body as { id: string };

  const create = (overrides: Record<string, unknown> = {}) => createIncident(t.baseUrl, overrides);

  /** The incident's escalation; `{status: 'none'}` until one is attached (attachment follows creation). */
  const escalation = async (id: string): Promise<Record<string, unknown>> => {
    const res = await request(t.baseUrl).get(`/v1/incidents/${id}/escalation`);
    return res.status === 200 ? (res.body as Record<string, unknown>) : { status: 'none' };
  };

  /** Waits until the incident's escalation is attached and active (the engine stores it after creation). */
  const attached = (id: string) =>
    eventually(async () => (await escalation(id)).status === 'active', 2000, 'an attached escalation');

  /** Moves the clock by `ms`, then waits until `check` holds (the work the due timers started is async). */
  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp({ NOTIFICATION_RETRY_BACKOFF: '0.01' }, undefined, { clock });
    events = new EventCapture(t.app);
    receiver = await HttpReceiver.start();
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
    await receiver.close();
  });

  it('escalates an unacknowledged incident level by level, raising severity and calling webhook targets', async () => {
    await policy({
      name: 'two-step',
      severities: ['P2'],
      levels: [
        level(1, 0.005, {
          raise_to_severity: 'P1',
          targets: [
            { type: 'team', name: 'sre' },
            { type: 'webhook', name: 'pager', url: receiver.url('/page'), headers: { 'X-Pager-Key': 'pk' } },
          ],
        }),
        level(2, 0.005, { raise_to_severity: 'P0', targets: [{ type: 'user', name: 'cto' }] }),
      ],
    });
    const subscriber = await WsTestClient.connect(t.wsUrl);
    await subscriber.subscribe('test', {
      event_types: ['escalated'],
      severities: ['P0'],
    });
    try {
      const incident = await create({ severity: 'P2' });
      const created = Date.parse(incident.created_at);
      await attached(incident.id);

      // Not before the level's delay (300 ms), then exactly at it.
      await clock.advance(299);
      expect(escalations(incident.id)).toEqual([]);
      await clock.advanceUntil(() => escalations(incident.id).length === 1, 'the first level', {
        firstMs: 1,
      });
      const [first] = escalations(incident.id);
      expect(first).toMatchObject({ from_severity: 'P2', to_severity: 'P1' });
      expect(first.reason).toMatch(
        /"two-step" level 1: not acknowledged after 0\.3 s; notifying team:sre, webhook:pager/,
      );
      // The next level is due 300 ms after the instant the first one fired.
      await clock.advance(299);
      expect(escalations(incident.id)).toHaveLength(1);
      await clock.advanceUntil(() => escalations(incident.id).length === 2, 'the second level', {
        firstMs: 1,
      });
      expect(escalations(incident.id)[1]).toMatchObject({ from_severity: 'P1', to_severity: 'P0' });
      const times = events.envelopes
        .filter((e) => e.event.event_type === 'escalated')
        .map((e) => Date.parse(e.timestamp) - created);
      expect(times).toEqual([300, 600]);

      // The WebSocket subscriber of P0 escalations got the second one (matched against the escalated incident).
      const frame = await subscriber.waitFor((e) => e.event?.incident_id === incident.id);
      expect(frame.event).toMatchObject({ event_type: 'escalated', from_severity: 'P1', to_severity: 'P0' });
      expect(subscriber.receivedEvents().filter((e) => e.event.incident_id === incident.id)).toHaveLength(1);

      await receiver.waitFor(1);
      expect(receiver.requests[0].headers['x-pager-key']).toBe('pk');
      expect(receiver.requests[0].body).toMatchObject({
        trigger: 'escalated',
        channel: 'escalation:pager',
        incident: { id: incident.id, severity: 'P1' },
        escalation: { from_severity: 'P2', to_severity: 'P1', targets: ['team:sre', 'webhook:pager'] },
      });
      await eventually(
        () =>
          events.envelopes.some(
            (e) => e.event.event_type === 'notification_sent' && e.event.channel === 'escalation:pager',
          ),
        2000,
        'notification_sent for the webhook target',
      );

      const stored = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
      expect(stored.severity).toBe('P0');
      const escalated = stored.timeline.filter((e: { event_type: string }) => e.event_type === 'Escalated');
      expect(
        escalated.map((e: { actor: string; metadata: Record<string, string> }) => [
          e.actor,
          e.metadata.level,
        ]),
      ).toEqual([
        ['escalation-engine', '1'],
        ['escalation-engine', '2'],
      ]);
      expect(await escalation(incident.id)).toMatchObject({
        status: 'completed',
        next_due_at: null,
        next_level: null,
      });
      const metrics = withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text);
      expect(metrics).toMatch(/llm_incident_manager_escalations_total\{trigger="policy"\} [1-9]/);
    } finally {
      await subscriber.close();
    }
  });

  it('stops when the incident is acknowledged (leaves Detected) before the level is due', async () => {
    await policy({ name: 'ack', levels: [level(1, 0.05, { raise_to_severity: 'P0' })] });
    const incident = await create();
    await request(t.baseUrl).patch(`/v1/incidents/${incident.id}`).send({ state: 'Triaged' }).expect(200);
    // Stopped right away (the clock stands still; the level would be due in 3 s), not when the level comes due.
    await eventually(async () => (await escalation(incident.id)).status === 'stopped', 1000, 'stopped');
    expect(await escalation(incident.id)).toMatchObject({ stop_reason: 'acknowledged', next_due_at: null });
    expect(escalations(incident.id)).toEqual([]);
  });

  it.each([
    [
      'resolved',
      (id: string) => ({
        path: `/v1/incidents/${id}/resolve`,
        body: { resolved_by: 'a', method: 'Manual', notes: '' },
      }),
    ],
    ['closed', (id: string) => ({ path: `/v1/incidents/${id}/close`, body: {} })],
  ])('stops when the incident is %s', async (reason, action) => {
    await policy({ name: `stop-${reason}`, levels: [level(1, 0.01)] });
    const incident = await create();
    const { path, body } = action(incident.id);
    await request(t.baseUrl).post(path).send(body).expect(200);
    await eventually(async () => (await escalation(incident.id)).status === 'stopped', 2000, 'stopped');
    expect((await escalation(incident.id)).stop_reason).toBe(reason);
    // Sentinel: an incident created after it, under the same policy, escalates once its level is due; the stopped
    // one, due earlier, would have escalated first.
    const sentinel = await create();
    await attached(sentinel.id);
    await clock.advanceUntil(() => escalations(sentinel.id).length === 1, 'the sentinel escalation', {
      firstMs: 600,
    });
    expect(escalations(incident.id)).toEqual([]);
  });

  it('starts over when a resolved incident is reopened unacknowledged (back to Detected)', async () => {
    await policy({ name: 'reopen', levels: [level(1, 0.005)] });
    const incident = await create();
    await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/resolve`)
      .send({ resolved_by: 'a', method: 'Manual', notes: '' })
      .expect(200);
    await eventually(async () => (await escalation(incident.id)).status === 'stopped', 2000, 'stopped');
    expect(escalations(incident.id)).toEqual([]);

    await request(t.baseUrl).patch(`/v1/incidents/${incident.id}`).send({ state: 'Detected' }).expect(200);
    await attached(incident.id);
    await clock.advanceUntil(() => escalations(incident.id).length === 1, 'the escalation after reopening', {
      firstMs: 300,
    });
    await eventually(async () => (await escalation(incident.id)).status === 'completed', 2000, 'completed');
    expect(await escalation(incident.id)).toMatchObject({ status: 'completed', stop_reason: null });
  });

  it('keeps escalating an acknowledged incident through a level with stop_on_ack false, until resolved', async () => {
    await policy({
      name: 'sticky',
      levels: [
        level(1, 0.005, { stop_on_ack: false, targets: [{ type: 'team', name: 'dba' }] }),
        level(2, 0.005),
      ],
    });
    const incident = await create({ severity: 'P3' });
    await attached(incident.id);
    await request(t.baseUrl)
      .patch(`/v1/incidents/${incident.id}`)
      .send({ state: 'Investigating' })
      .expect(200);
    await clock.advanceUntil(() => escalations(incident.id).length === 1, 'the sticky level', {
      firstMs: 300,
    });
    expect(escalations(incident.id)[0]).toMatchObject({ from_severity: 'P3', to_severity: 'P3' });
    expect(escalations(incident.id)[0].reason).toMatch(/still Investigating after 0\.3 s/);
    // Level 2 stops on acknowledgement.
    await clock.advance(300);
    await eventually(
      async () => (await escalation(incident.id)).status === 'stopped',
      3000,
      'stopped at level 2',
    );
    expect(escalations(incident.id)).toHaveLength(1);
  });

  it('repeats the level sequence `repeat` more times, then completes', async () => {
    await policy({ name: 'repeat', repeat: 2, levels: [level(1, 0.002)] });
    const incident = await create();
    await attached(incident.id);
    for (let round = 1; round <= 3; round += 1) {
      await clock.advanceUntil(() => escalations(incident.id).length === round, `escalation ${round}`, {
        firstMs: 120,
      });
    }
    await eventually(async () => (await escalation(incident.id)).status === 'completed', 2000, 'completed');
    expect(escalations(incident.id)).toHaveLength(3);
    expect((await escalation(incident.id)).repeat_round).toBe(2);
  });

  it('applies only to the severities it names, preferring a specific policy over a catch-all', async () => {
    await policy({ name: 'catch-all', levels: [level(1, 60)] });
    const specific = await policy({ name: 'p0-only', severities: ['P0'], levels: [level(1, 60)] });
    const p0 = await create({ severity: 'P0' });
    const p4 = await create({ severity: 'P4' });
    await eventually(
      async () => (await request(t.baseUrl).get(`/v1/incidents/${p4.id}/escalation`)).status === 200,
    );
    expect((await escalation(p0.id)).policy_id).toBe(specific.id);
    expect(await escalation(p0.id)).toEqual({
      incident_id: p0.id,
      policy_id: specific.id,
      policy_name: 'p0-only',
      status: 'active',
      level_index: 0,
      next_level: 1,
      repeat_round: 0,
      next_due_at: new Date(Date.parse(p0.created_at) + 3_600_000).toISOString(),
      started_at: expect.any(String),
      updated_at: expect.any(String),
      stop_reason: null,
    });
    expect((await escalation(p4.id)).policy_id).not.toBe(specific.id);
  });

  it('cancels the escalation when its policy is disabled before the level is due', async () => {
    const p = await policy({ name: 'to-disable', levels: [level(1, 0.01)] });
    const incident = await create();
    await attached(incident.id);
    await request(t.baseUrl)
      .put(`/v1/escalation-policies/${p.id}`)
      .send({ name: 'to-disable', enabled: false, levels: [level(1, 0.01)] })
      .expect(200);
    // Cancelled by the request itself: no `active` status with a due time that will never fire.
    expect(await escalation(incident.id)).toMatchObject({
      status: 'cancelled',
      stop_reason: 'policy_disabled',
      next_due_at: null,
      next_level: null,
    });
    await clock.advance(600);
    expect(escalations(incident.id)).toEqual([]);
  });

  it('cancels the escalations of a deleted policy at once', async () => {
    const p = await policy({ name: 'to-delete', levels: [level(1, 0.01)] });
    const incident = await create();
    await attached(incident.id);
    await request(t.baseUrl).delete(`/v1/escalation-policies/${p.id}`).expect(204);
    expect(await escalation(incident.id)).toMatchObject({
      status: 'cancelled',
      stop_reason: 'policy_deleted',
      next_due_at: null,
    });
    await clock.advance(600);
    expect(escalations(incident.id)).toEqual([]);
  });
});

describe('escalation across a restart', () => {
  it('still escalates on time when the server restarts before the level is due', async () => {
    const clock = new ManualClock();
    const first = await startTestApp({}, undefined, { clock });
    await request(first.baseUrl)
      .post('/v1/escalation-policies')
      .send({ name: 'restart', levels: [level(1, 0.04, { raise_to_severity: 'P0' })] })
      .expect(201);
    const incident = await createIncident(first.baseUrl);
    const dueAt = Date.parse(incident.created_at) + 2400;
    await eventually(
      async () =>
        (await request(first.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).status === 200,
    );
    await first.close();

    // The restart happens mid-escalation: the second process starts 1 s later, 1.4 s before the level is due.
    const later = new ManualClock(clock.now() + 1000);
    const second = await startTestApp({}, { dbPath: first.dbPath, dir: first.dir }, { clock: later });
    try {
      const events = new EventCapture(second.app);
      await later.advance(1399);
      expect(events.types).not.toContain('escalated');
      await later.advance(1);
      await eventually(() => events.types.includes('escalated'), 3000, 'the escalation after restart');
      const fired = events.envelopes.find((e) => e.event.event_type === 'escalated');
      expect(Date.parse(fired?.timestamp ?? '')).toBe(dueAt);
      expect(fired?.event).toMatchObject({
        incident_id: incident.id,
        from_severity: 'P2',
        to_severity: 'P0',
      });
      events.stop();
    } finally {
      await second.cleanup();
    }
  });

  it('fires an overdue level as soon as the server is back', async () => {
    const clock = new ManualClock();
    const first = await startTestApp({}, undefined, { clock });
    await request(first.baseUrl)
      .post('/v1/escalation-policies')
      .send({ name: 'overdue', levels: [level(1, 0.005)] })
      .expect(201);
    const incident = await createIncident(first.baseUrl);
    await eventually(
      async () =>
        (await request(first.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).status === 200,
    );
    await first.close();

    // Back 400 ms later: the 300 ms level is overdue, and fires without the clock moving.
    const later = new ManualClock(clock.now() + 400);
    const second = await startTestApp({}, { dbPath: first.dbPath, dir: first.dir }, { clock: later });
    try {
      await eventually(
        async () =>
          (await request(second.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).body.status ===
          'completed',
        2000,
        'the overdue level',
      );
      const log = (await request(second.baseUrl).get(`/v1/incidents/${incident.id}/events`).expect(200)).body
        .events;
      expect(log.filter((e: { event_type: string }) => e.event_type === 'escalated')).toHaveLength(1);
    } finally {
      await second.cleanup();
    }
  });
});

describe('escalation reconciliation at start', () => {
  it('attaches the policy to a Detected incident whose creation was never handled (stopped mid-way)', async () => {
    const clock = new ManualClock();
    const first = await startTestApp({}, undefined, { clock });
    await request(first.baseUrl)
      .post('/v1/escalation-policies')
      .send({ name: 'reconcile', levels: [level(1, 0.005)] })
      .expect(201);
    const incident = await createIncident(first.baseUrl);
    await eventually(
      async () =>
        (await request(first.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).status === 200,
    );
    await first.close();
    // As if the server had stopped between storing the incident and attaching its escalation.
    const db = new BetterSqlite3(first.dbPath);
    db.prepare('DELETE FROM escalation_states WHERE incident_id = ?').run(incident.id);
    db.close();

    // Back 400 ms later: reconciled at start, the 300 ms level is overdue and fires at the first sweep.
    const later = new ManualClock(clock.now() + 400);
    const second = await startTestApp({}, { dbPath: first.dbPath, dir: first.dir }, { clock: later });
    try {
      await eventually(
        async () =>
          (await request(second.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).body.status ===
          'completed',
        3000,
        'the reconciled escalation',
      );
    } finally {
      await second.cleanup();
    }
  });
});
