import request from 'supertest';
import { withoutNodeLabel } from './support/metrics-text';
import type { DomainEvent } from '../src/events/event.types';
import { PlaybooksService } from '../src/playbooks/playbooks.service';
import { EventCapture } from './support/event-capture';
import { eventually } from './support/eventually';
import { alertBody, createIncident } from './support/fixtures';
import { HttpReceiver, refusingUrl } from './support/http-receiver';
import { ManualClock } from './support/manual-clock';
import { startTestApp, TestApp } from './support/test-app';
import { WsTestClient } from './support/ws-test-client';

interface Run {
  id: string;
  status: string;
  success: boolean | null;
  error: string | null;
  actions_executed: number;
  trigger: string;
  steps: { name: string; action: string; status: string; attempts: number; message: string }[];
}

describe('playbooks: REST', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('creates a playbook with defaults, replaces and deletes it', async () => {
    const res = await request(t.baseUrl)
      .post('/v1/playbooks')
      .send({
        name: 'triage',
        triggers: { severities: ['P0'], labels: { env: 'prod' } },
        steps: [
          { action: { type: 'add_labels', labels: { triaged: 'yes' } } },
          {
            name: 'page',
            action: { type: 'webhook', url: 'http://127.0.0.1:8999/x', headers: { 'X-Key': 'k' } },
            condition: { states: ['Detected'] },
            retries: 2,
            retry_delay_seconds: 0.5,
            timeout_seconds: 5,
          },
        ],
      })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'triage',
      description: '',
      enabled: true,
      created_at: expect.any(String),
      updated_at: expect.any(String),
      triggers: { severities: ['P0'], incident_types: [], sources: [], states: [], labels: { env: 'prod' } },
      steps: [
        {
          name: 'add_labels',
          action: { type: 'add_labels', labels: { triaged: 'yes' } },
          condition: null,
          retries: 0,
          retry_delay_seconds: 1,
          timeout_seconds: 30,
        },
        {
          name: 'page',
          action: { type: 'webhook', url: 'http://127.0.0.1:8999/x', headers: { 'X-Key': '********' } },
          condition: { severities: [], incident_types: [], sources: [], states: ['Detected'], labels: {} },
          retries: 2,
          retry_delay_seconds: 0.5,
          timeout_seconds: 5,
        },
      ],
    });
    const id = res.body.id as string;
    // What GET returns can be sent back as is (nulls included); a masked value keeps the stored secret.
    const fetched = (await request(t.baseUrl).get(`/v1/playbooks/${id}`).expect(200)).body;
    expect(fetched).toEqual(res.body);
    await request(t.baseUrl).put(`/v1/playbooks/${id}`).send(fetched).expect(200);
    const stored = await t.app.get(PlaybooksService).get(id);
    expect(stored.steps[1].action).toMatchObject({ headers: { 'X-Key': 'k' } });
    const replaced = await request(t.baseUrl)
      .put(`/v1/playbooks/${id}`)
      .send({ name: 'triage-v2', enabled: false, steps: [{ action: { type: 'wait', seconds: 1 } }] })
      .expect(200);
    expect(replaced.body).toMatchObject({
      id,
      name: 'triage-v2',
      enabled: false,
      steps: [{ action: { type: 'wait', seconds: 1 } }],
    });
    expect((await request(t.baseUrl).get('/v1/playbooks').expect(200)).body.playbooks).toHaveLength(1);
    await request(t.baseUrl).delete(`/v1/playbooks/${id}`).expect(204);
    await request(t.baseUrl).get(`/v1/playbooks/${id}`).expect(404);
  });

  it.each([
    ['no steps', { steps: [] }],
    ['a null step', { steps: [null] }],
    ['an unknown action type', { steps: [{ action: { type: 'reboot' } }] }],
    ['a webhook without url', { steps: [{ action: { type: 'webhook' } }] }],
    ['a webhook to a non-http URL', { steps: [{ action: { type: 'webhook', url: 'file:///etc/passwd' } }] }],
    [
      'a webhook with a reserved header',
      { steps: [{ action: { type: 'webhook', url: 'http://127.0.0.1:1/x', headers: { Host: 'x' } } }] },
    ],
    ['a wait without seconds', { steps: [{ action: { type: 'wait' } }] }],
    ['a set_state to an unknown state', { steps: [{ action: { type: 'set_state', state: 'Sleeping' } }] }],
    ['a notify without message', { steps: [{ action: { type: 'notify' } }] }],
    ['add_labels without labels', { steps: [{ action: { type: 'add_labels' } }] }],
    ['a null action', { steps: [{ action: null }] }],
    ['a zero timeout', { steps: [{ action: { type: 'wait', seconds: 1 }, timeout_seconds: 0 }] }],
    ['too many retries', { steps: [{ action: { type: 'wait', seconds: 1 }, retries: 11 }] }],
    ['null triggers', { triggers: null }],
    ['an unknown trigger severity', { triggers: { severities: ['P5'] } }],
  ])('rejects %s with 400 VALIDATION_ERROR', async (_what, override) => {
    const res = await request(t.baseUrl)
      .post('/v1/playbooks')
      .send({ name: 'bad', steps: [{ action: { type: 'wait', seconds: 1 } }], ...override })
      .expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });
});

describe('playbook runs', () => {
  let t: TestApp;
  let clock: ManualClock;
  let events: EventCapture;
  const receivers: HttpReceiver[] = [];

  const receiver = async (behaviour: Parameters<typeof HttpReceiver.start>[0] = {}) => {
    const r = await HttpReceiver.start(behaviour);
    receivers.push(r);
    return r;
  };
  const playbook = async (body: Record<string, unknown>) =>
    (await request(t.baseUrl).post('/v1/playbooks').send(body).expect(201)).body as {
      id: string;
      name: string;
    };
  const create = (overrides: Record<string, unknown> = {}) => createIncident(t.baseUrl, overrides);
  const runs = async (incidentId: string): Promise<Run[]> =>
    (await request(t.baseUrl).get(`/v1/incidents/${incidentId}/playbook-runs`).expect(200)).body.runs;
  /** Waits for `count` finished runs, moving the clock `stepMs` per poll (wait steps and retry delays). */
  const finishedRuns = (incidentId: string, count = 1, stepMs = 0) =>
    eventually(
      async () => {
        await clock.advance(stepMs);
        const all = await runs(incidentId);
        return (
          all.length >= count && all.every((r) => r.status === 'succeeded' || r.status === 'failed') && all
        );
      },
      5000,
      `${count} finished run(s)`,
    );
  const playbookEvents = (incidentId: string): DomainEvent[] =>
    events.envelopes
      .map((e) => e.event)
      .filter(
        (e) => e.event_type.startsWith('playbook_') && 'incident_id' in e && e.incident_id === incidentId,
      );

  beforeAll(async () => {
    clock = new ManualClock();
    t = await startTestApp({ NOTIFICATION_RETRY_BACKOFF: '0.01' }, undefined, { clock });
    events = new EventCapture(t.app);
  });

  afterEach(async () => {
    const { playbooks } = (await request(t.baseUrl).get('/v1/playbooks').expect(200)).body;
    for (const p of playbooks as { id: string }[]) {
      await request(t.baseUrl).delete(`/v1/playbooks/${p.id}`).expect(204);
    }
    const { channels } = (await request(t.baseUrl).get('/v1/notification-channels').expect(200)).body;
    for (const c of channels as { id: string }[]) {
      await request(t.baseUrl).delete(`/v1/notification-channels/${c.id}`).expect(204);
    }
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    events.clear();
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  it('runs a matching playbook when an alert opens an incident, step by step, and stores the run', async () => {
    const hook = await receiver();
    const pb = await playbook({
      name: 'auto-triage',
      triggers: {
        severities: ['P1'],
        sources: ['prometheus'],
        incident_types: ['Application'],
        labels: { env: 'prod' },
      },
      steps: [
        {
          name: 'tell-bot',
          action: { type: 'webhook', url: hook.url('/bot'), headers: { 'X-Bot-Token': 'bt' } },
        },
        { name: 'label', action: { type: 'add_labels', labels: { triage: 'auto' } } },
        { name: 'investigate', action: { type: 'set_state', state: 'Investigating' } },
        { name: 'raise', action: { type: 'severity_increase' } },
        { name: 'pause', action: { type: 'wait', seconds: 0.05 } },
      ],
    });
    const subscriber = await WsTestClient.connect(t.wsUrl);
    await subscriber.subscribe('test', {
      event_types: ['playbook_started', 'playbook_action_executed', 'playbook_completed'],
    });
    try {
      const ack = (await request(t.baseUrl).post('/v1/alerts').send(alertBody()).expect(200)).body;
      const [run] = await finishedRuns(ack.incident_id, 1, 50);
      expect(run).toMatchObject({
        playbook_id: pb.id,
        playbook_name: 'auto-triage',
        trigger: 'automatic',
        status: 'succeeded',
        success: true,
        error: null,
        actions_executed: 5,
      });
      expect(run.steps.map((s) => [s.name, s.action, s.status, s.attempts])).toEqual([
        ['tell-bot', 'webhook', 'succeeded', 1],
        ['label', 'add_labels', 'succeeded', 1],
        ['investigate', 'set_state', 'succeeded', 1],
        ['raise', 'severity_increase', 'succeeded', 1],
        ['pause', 'wait', 'succeeded', 1],
      ]);

      expect(hook.requests[0].headers['x-bot-token']).toBe('bt');
      expect(
        (run as unknown as { definition: { action: { headers?: object } }[] }).definition[0].action.headers,
      ).toEqual({
        'X-Bot-Token': '********',
      });
      expect(hook.requests[0].body).toMatchObject({
        playbook_id: pb.id,
        playbook_name: 'auto-triage',
        run_id: run.id,
        step: 'tell-bot',
        incident: { id: ack.incident_id, state: 'Detected' },
      });
      const incident = (await request(t.baseUrl).get(`/v1/incidents/${ack.incident_id}`).expect(200)).body;
      expect(incident).toMatchObject({ state: 'Investigating', severity: 'P0', active_playbook: null });
      expect(incident.labels.triage).toBe('auto');
      const kinds = incident.timeline.map((e: { event_type: string }) => e.event_type);
      expect(kinds.filter((k: string) => k === 'PlaybookStarted')).toHaveLength(1);
      expect(kinds.filter((k: string) => k === 'ActionExecuted')).toHaveLength(6); // 5 steps + the label change
      expect(kinds[kinds.length - 1]).toBe('PlaybookCompleted');

      const published = playbookEvents(ack.incident_id);
      expect(published.map((e) => e.event_type)).toEqual([
        'playbook_started',
        ...Array(5).fill('playbook_action_executed'),
        'playbook_completed',
      ]);
      expect(published[0]).toEqual({
        event_type: 'playbook_started',
        incident_id: ack.incident_id,
        playbook_id: pb.id,
        playbook_name: 'auto-triage',
      });
      expect(published[1]).toEqual({
        event_type: 'playbook_action_executed',
        incident_id: ack.incident_id,
        playbook_id: pb.id,
        action_name: 'tell-bot',
        success: true,
        message: expect.stringContaining('HTTP 200'),
      });
      expect(published[6]).toEqual({
        event_type: 'playbook_completed',
        incident_id: ack.incident_id,
        playbook_id: pb.id,
        success: true,
        actions_executed: 5,
      });
      // The state change and the escalation were made through the incident lifecycle, with their own events.
      expect(events.types).toEqual(expect.arrayContaining(['incident_updated', 'escalated']));

      await subscriber.waitFor(
        (e) => e.event?.event_type === 'playbook_completed' && e.event.incident_id === ack.incident_id,
      );
      expect(subscriber.receivedEvents().filter((e) => e.event.incident_id === ack.incident_id)).toHaveLength(
        7,
      );
      const metrics = withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text);
      expect(metrics).toMatch(/llm_incident_manager_playbook_executions_total\{outcome="success"\} [1-9]/);
    } finally {
      await subscriber.close();
    }
  });

  it('does not run a playbook whose triggers do not match, nor a disabled one', async () => {
    await playbook({
      name: 'p0-only',
      triggers: { severities: ['P0'] },
      steps: [{ action: { type: 'wait', seconds: 0 } }],
    });
    const off = await playbook({
      name: 'off',
      enabled: false,
      steps: [{ action: { type: 'wait', seconds: 0 } }],
    });
    const incident = await create({ severity: 'P3' });
    // Sentinel: a run started by hand afterwards; an automatic run, started at creation, would be listed with it.
    const manual = await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/playbooks/${off.id}/run`)
      .send({})
      .expect(200);
    const finished = await finishedRuns(incident.id);
    expect(finished.map((r) => [r.id, r.trigger])).toEqual([[manual.body.id, 'manual']]);
  });

  it('retries a failing webhook step and succeeds when the receiver recovers', async () => {
    const hook = await receiver({ script: [500, 502] });
    await playbook({
      name: 'flaky',
      steps: [{ action: { type: 'webhook', url: hook.url() }, retries: 2, retry_delay_seconds: 0.02 }],
    });
    const incident = await create();
    const [run] = await finishedRuns(incident.id, 1, 20);
    expect(run).toMatchObject({ success: true, steps: [{ status: 'succeeded', attempts: 3 }] });
    expect(hook.requests).toHaveLength(3);
  });

  it.each([
    ['answers 500', async (r: () => Promise<HttpReceiver>) => (await r()).url(), /HTTP 500/],
    ['refuses connections', async () => refusingUrl(), /connection failed/],
  ])(
    'fails the run when the webhook receiver %s, with the reason, and skips the rest',
    async (_what, url, reason) => {
      const target = await url(() => receiver({ status: 500 }));
      await playbook({
        name: 'failing',
        steps: [
          { name: 'call', action: { type: 'webhook', url: target }, retries: 1, retry_delay_seconds: 0.01 },
          { name: 'never', action: { type: 'add_labels', labels: { reached: 'yes' } } },
        ],
      });
      const incident = await create();
      const [run] = await finishedRuns(incident.id, 1, 10);
      expect(run).toMatchObject({ status: 'failed', success: false, actions_executed: 1 });
      expect(run.error).toMatch(/^step "call" failed: /);
      expect(run.error).toMatch(reason);
      expect(run.steps.map((s) => [s.status, s.attempts])).toEqual([
        ['failed', 2],
        ['pending', 0],
      ]);
      const published = playbookEvents(incident.id);
      expect(published.map((e) => e.event_type)).toEqual([
        'playbook_started',
        'playbook_action_executed',
        'playbook_completed',
      ]);
      expect(published[1]).toMatchObject({
        action_name: 'call',
        success: false,
        message: expect.stringMatching(reason),
      });
      expect(published[2]).toMatchObject({ success: false, actions_executed: 1 });
      const stored = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
      expect(stored.labels.reached).toBeUndefined();
      expect(stored.timeline[stored.timeline.length - 1]).toMatchObject({
        event_type: 'PlaybookCompleted',
        description: expect.stringContaining('failed: step "call" failed'),
      });
    },
  );

  it('fails a step that exceeds its timeout', async () => {
    // It never answers within the test: the step ends at its 200 ms deadline on the clock.
    const slow = await receiver({ delayMs: 60_000 });
    await playbook({
      name: 'slow',
      steps: [{ action: { type: 'webhook', url: slow.url() }, timeout_seconds: 0.2 }],
    });
    const incident = await create();
    await slow.waitFor(1);
    await clock.advance(199);
    expect((await runs(incident.id))[0].status).toBe('running');
    await clock.advance(1);
    const [run] = await finishedRuns(incident.id);
    expect(run.success).toBe(false);
    expect(run.steps[0].message).toMatch(/timed out/);
  });

  it('skips a step whose condition does not hold for the incident at that moment', async () => {
    await playbook({
      name: 'conditional',
      steps: [
        {
          name: 'only-p0',
          action: { type: 'add_labels', labels: { p0: 'yes' } },
          condition: { severities: ['P0'] },
        },
        { name: 'ack', action: { type: 'set_state', state: 'Triaged' } },
        {
          name: 'if-triaged',
          action: { type: 'add_labels', labels: { triaged: 'yes' } },
          condition: { states: ['Triaged'] },
        },
      ],
    });
    const incident = await create({ severity: 'P2' });
    const [run] = await finishedRuns(incident.id);
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ['only-p0', 'skipped'],
      ['ack', 'succeeded'],
      ['if-triaged', 'succeeded'],
    ]);
    expect(run.actions_executed).toBe(2);
    const stored = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
    expect(stored.labels).toMatchObject({ triaged: 'yes' });
    expect(stored.labels.p0).toBeUndefined();
  });

  it('notifies channels and resolves the incident automatically', async () => {
    const hook = await receiver();
    await request(t.baseUrl)
      .post('/v1/notification-channels')
      .send({ name: 'pb-channel', type: 'webhook', url: hook.url(), events: [] })
      .expect(201);
    await playbook({
      name: 'auto-resolve',
      steps: [
        { action: { type: 'notify', channels: ['pb-channel'], message: 'auto-remediation running' } },
        { action: { type: 'incident_resolve', notes: 'restarted the pod', root_cause: 'OOM' } },
      ],
    });
    const incident = await create();
    const [run] = await finishedRuns(incident.id);
    expect(run).toMatchObject({ success: true, actions_executed: 2 });
    expect(hook.requests[0].body).toMatchObject({ trigger: 'playbook', message: 'auto-remediation running' });
    const stored = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
    expect(stored.state).toBe('Resolved');
    expect(stored.resolution).toMatchObject({
      resolved_by: 'playbook:auto-resolve',
      resolution_method: 'Automated',
      root_cause: 'OOM',
      notes: 'restarted the pod',
    });
  });

  it('fails a notify step naming an unknown channel', async () => {
    await playbook({
      name: 'bad-notify',
      steps: [{ action: { type: 'notify', channels: ['nope'], message: 'x' } }],
    });
    const incident = await create();
    const [run] = await finishedRuns(incident.id);
    expect(run.error).toMatch(/unknown or disabled channel\(s\): nope/);
  });

  it('runs a playbook by hand (even a disabled one), one run at a time per incident', async () => {
    const pb = await playbook({
      name: 'manual',
      enabled: false,
      steps: [{ action: { type: 'wait', seconds: 0.15 } }],
    });
    const incident = await create();
    const first = await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/playbooks/${pb.id}/run`)
      .send({ actor: 'alice' })
      .expect(200);
    expect(first.body).toMatchObject({
      trigger: 'manual',
      triggered_by: 'alice',
      incident_id: incident.id,
      playbook_id: pb.id,
    });
    expect(['queued', 'running']).toContain(first.body.status);
    // Runs are listed by creation time: the second request comes a millisecond later.
    await clock.advance(1);
    const second = await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/playbooks/${pb.id}/run`)
      .send({})
      .expect(200);

    const [a, b] = await finishedRuns(incident.id, 2, 150);
    expect([a.id, b.id]).toEqual([first.body.id, second.body.id]);
    const one = (await request(t.baseUrl).get(`/v1/playbook-runs/${a.id}`).expect(200)).body;
    const two = (await request(t.baseUrl).get(`/v1/playbook-runs/${b.id}`).expect(200)).body;
    expect(Date.parse(two.started_at)).toBeGreaterThanOrEqual(Date.parse(one.finished_at));
    const stored = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
    expect(
      stored.timeline.find((e: { event_type: string }) => e.event_type === 'PlaybookStarted').actor,
    ).toBe('alice');
  });

  it('answers 404 for an unknown incident, playbook or run, and 409 for a Closed incident', async () => {
    const pb = await playbook({
      name: 'x',
      enabled: false,
      steps: [{ action: { type: 'wait', seconds: 0 } }],
    });
    const incident = await create();
    const unknown = '00000000-0000-4000-8000-000000000000';
    await request(t.baseUrl).post(`/v1/incidents/${unknown}/playbooks/${pb.id}/run`).send({}).expect(404);
    await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/playbooks/${unknown}/run`)
      .send({})
      .expect(404);
    await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/playbooks/not-a-uuid/run`)
      .send({})
      .expect(400);
    await request(t.baseUrl).get(`/v1/incidents/${unknown}/playbook-runs`).expect(404);
    await request(t.baseUrl).get(`/v1/playbook-runs/${unknown}`).expect(404);
    await request(t.baseUrl).post(`/v1/incidents/${incident.id}/close`).send({}).expect(200);
    const res = await request(t.baseUrl)
      .post(`/v1/incidents/${incident.id}/playbooks/${pb.id}/run`)
      .send({})
      .expect(409);
    expect(res.body.error.code).toBe('INVALID_STATE_TRANSITION');
  });
});

describe('playbook runs at shutdown', () => {
  it('records a run interrupted by shutdown as failed, and it stays failed after restart', async () => {
    const first = await startTestApp();
    await request(first.baseUrl)
      .post('/v1/playbooks')
      .send({ name: 'long', steps: [{ action: { type: 'wait', seconds: 30 } }] })
      .expect(201);
    const incident = await createIncident(first.baseUrl);
    await eventually(
      async () =>
        (
          (await request(first.baseUrl).get(`/v1/incidents/${incident.id}/playbook-runs`)).body.runs as Run[]
        )[0]?.status === 'running',
    );
    const closing = Date.now();
    await first.close();
    expect(Date.now() - closing).toBeLessThan(3000);

    const second = await startTestApp({}, { dbPath: first.dbPath, dir: first.dir });
    try {
      const [run] = (
        await request(second.baseUrl).get(`/v1/incidents/${incident.id}/playbook-runs`).expect(200)
      ).body.runs as Run[];
      expect(run).toMatchObject({ status: 'failed', success: false });
      expect(run.error).toMatch(/interrupted/);
      const log = (await request(second.baseUrl).get(`/v1/incidents/${incident.id}/events`).expect(200)).body
        .events;
      expect(log.filter((e: { event_type: string }) => e.event_type === 'playbook_completed')).toHaveLength(
        1,
      );
      const stored = (await request(second.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
      expect(stored.active_playbook).toBeNull();
    } finally {
      await second.cleanup();
    }
  });
});
