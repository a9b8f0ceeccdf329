import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { EscalationStatesRepository } from '../src/escalation/escalation-states.repository';
import { EscalationScheduler } from '../src/escalation/escalation.scheduler';
import { DatabaseService } from '../src/storage/database.service';
import { EventLogRetentionRepository } from '../src/events/event-log-retention.repository';
import { EventLogRetentionService } from '../src/events/event-log-retention.service';
import { RunStatus, RunTrigger, type PlaybookRun } from '../src/playbooks/playbook';
import { LEASE_RENEW_MS, RUN_LEASE_MS } from '../src/playbooks/playbook-runner.service';
import { PlaybookRunsRepository } from '../src/playbooks/playbook-runs.repository';
import { eventually } from './support/eventually';
import { createIncident } from './support/fixtures';
import { HttpReceiver } from './support/http-receiver';
import { ManualClock } from './support/manual-clock';
import { publishAll, systemEvent } from './support/publish';
import { describeIfPostgres, postgresDatabaseUrl, TEST_DATABASE_URL } from './support/postgres';
import { startTestApp, TestApp } from './support/test-app';

const START = '2026-01-01T00:00:00.000Z';
/** ESCALATION_CHECK_INTERVAL's default: every node scans for due escalations at least this often. */
const SCAN_MS = 30_000;

/**
 * Contract section 11: work that must happen once per cluster, with two nodes (two app instances, each with its own
 * clock) on one PostgreSQL database.
 */
describeIfPostgres('work done once per cluster (two nodes on one PostgreSQL database)', () => {
  let receiver: HttpReceiver;
  /** Each test's own database, so that one test's definitions (a policy that applies to every incident) stay there. */
  let database = '';
  const apps: TestApp[] = [];

  const node = async (clock: ManualClock, overrides: Record<string, string> = {}): Promise<TestApp> => {
    const url = postgresDatabaseUrl(database);
    const app = await startTestApp({ DATABASE_URL: url, ...overrides }, undefined, { clock });
    apps.push(app);
    return app;
  };

  /** Resolves once every piece of escalation work the node queued so far (a level firing) is done. */
  const escalationIdle = (app: TestApp): Promise<void> =>
    new Promise<void>((resolve) =>
      app.app.get(EscalationScheduler).enqueue(() => Promise.resolve(resolve())),
    );

  /**
   * Moves the nodes' clocks past the level's one-minute delay a scan interval at a time, letting each node's scan
   * finish (real database I/O) before its clock moves on, so that every node arms its timer for the level and fires.
   */
  const pastDue = async (...nodes: [TestApp, ManualClock][]): Promise<void> => {
    // Each node's scan at start (and the attachment) armed its timer before the clocks move.
    await Promise.all(nodes.map(([app]) => escalationIdle(app)));
    for (const step of [SCAN_MS, SCAN_MS + 1000]) {
      await Promise.all(nodes.map(([, clock]) => clock.advance(step)));
      await Promise.all(nodes.map(([app]) => escalationIdle(app)));
    }
  };

  const eventTypes = async (app: TestApp, incidentId: string): Promise<string[]> =>
    (
      (await request(app.baseUrl).get(`/v1/incidents/${incidentId}/events`).expect(200)).body.events as {
        event_type: string;
      }[]
    ).map((e) => e.event_type);

  beforeAll(async () => {
    receiver = await HttpReceiver.start();
  });

  beforeEach(async () => {
    database = `llm_im_test_${randomBytes(6).toString('hex')}`;
    await admin(`CREATE DATABASE ${database}`);
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.cleanup();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  afterAll(async () => {
    await receiver.close();
  });

  it('fires an escalation level once when both nodes find it due at the same time', async () => {
    const clockA = new ManualClock(START);
    const clockB = new ManualClock(START);
    const a = await node(clockA);
    const hook = `/race-${randomBytes(4).toString('hex')}`;
    await request(a.baseUrl)
      .post('/v1/escalation-policies')
      .send({
        name: 'once-race',
        levels: [
          {
            level: 1,
            delay_minutes: 1,
            targets: [{ type: 'webhook', name: 'pager', url: receiver.url(hook) }],
          },
        ],
      })
      .expect(201);
    const b = await node(clockB);
    const incident = await createIncident(a.baseUrl);
    await eventually(
      async () =>
        (await request(b.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).body.status === 'active',
      5000,
      'the escalation stored',
    );

    await pastDue([a, clockA], [b, clockB]);

    expect((await request(b.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).body.status).toBe(
      'completed',
    );
    expect((await eventTypes(a, incident.id)).filter((t) => t === 'escalated')).toHaveLength(1);
    await eventually(
      async () => (await eventTypes(a, incident.id)).includes('notification_sent'),
      5000,
      'the level notified',
    );
    expect(receiver.requests.filter((r) => r.path === hook)).toHaveLength(1);
  });

  it("fires a level armed on a node that stopped, from another node's periodic scan", async () => {
    const clockA = new ManualClock(START);
    const clockB = new ManualClock(START);
    const a = await node(clockA);
    await request(a.baseUrl)
      .post('/v1/escalation-policies')
      .send({ name: 'once-takeover', levels: [{ level: 1, delay_minutes: 1, raise_to_severity: 'P0' }] })
      .expect(201);
    const b = await node(clockB);
    const incident = await createIncident(a.baseUrl, { severity: 'P2' });
    await eventually(
      async () =>
        (await request(b.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).body.status === 'active',
      5000,
      'the escalation stored',
    );
    await a.close();

    // B never heard of the escalation: its due-scan (every ESCALATION_CHECK_INTERVAL) finds it in the database.
    await pastDue([b, clockB]);

    expect((await request(b.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body.severity).toBe(
      'P0',
    );
    expect((await eventTypes(b, incident.id)).filter((t) => t === 'escalated')).toHaveLength(1);
  });

  it('stops an escalation attached on one node when the incident is acknowledged on another', async () => {
    const a = await node(new ManualClock(START));
    await request(a.baseUrl)
      .post('/v1/escalation-policies')
      .send({ name: 'once-ack', levels: [{ level: 1, delay_minutes: 5 }] })
      .expect(201);
    const b = await node(new ManualClock(START));
    const incident = await createIncident(a.baseUrl);
    const escalation = async (): Promise<string> =>
      (await request(b.baseUrl).get(`/v1/incidents/${incident.id}/escalation`)).body.status as string;
    await eventually(async () => (await escalation()) === 'active', 5000, 'the escalation stored');

    await request(b.baseUrl)
      .post(`/v1/incidents/${incident.id}/acknowledge`)
      .send({ actor: 'bob' })
      .expect(200);
    await eventually(
      async () => (await escalation()) === 'stopped',
      5000,
      'the escalation stopped by node B',
    );
  });

  it('keeps the first escalation when a second node attaches the same incident (both reconciling at start)', async () => {
    const a = await node(new ManualClock(START));
    const incident = await createIncident(a.baseUrl);
    const states = a.app.get(EscalationStatesRepository);
    const db = a.app.get(DatabaseService).db;
    const state = (policyId: string) => ({
      incident_id: incident.id,
      policy_id: policyId,
      status: 'active' as const,
      level_index: 0,
      repeat_round: 0,
      next_due_at: START,
      started_at: START,
      updated_at: START,
      stop_reason: null,
    });
    const first = randomUUID();
    expect(await states.insert(state(first), db)).toBe(true);
    expect(await states.insert(state(randomUUID()), db)).toBe(false);
    expect((await states.get(incident.id))?.policy_id).toBe(first);
  });

  it('prunes the event log on one node at a time: a node finding another pruning skips its round', async () => {
    const settings = { EVENT_LOG_MAX_EVENTS: '10' };
    const a = await node(new ManualClock(START), settings);
    const b = await node(new ManualClock(START), settings);
    await publishAll(
      a.app,
      Array.from({ length: 30 }, (_, i) => ({ event: systemEvent(`filler ${i}`), incident: null })),
    );
    const retentionA = a.app.get(EventLogRetentionService);
    const before = await retentionA.bounds();

    // While B holds the pruning lock (as during its own round), A's round prunes nothing.
    const skipped = await b.app.get(EventLogRetentionRepository).exclusively(() => retentionA.prune());
    expect(skipped).toEqual({ age: 0, count: 0 });
    expect(await retentionA.bounds()).toEqual(before);

    // Released after B's round: A's next round prunes.
    expect((await retentionA.prune()).count).toBeGreaterThan(0);
    expect(await retentionA.bounds()).toEqual({
      oldest_sequence: before.head_sequence - 9,
      head_sequence: before.head_sequence,
    });
  });

  it('interrupts a playbook run once its node stopped renewing its lease, on one node only', async () => {
    const clockA = new ManualClock(START);
    const clockB = new ManualClock(START);
    const a = await node(clockA);
    const b = await node(clockB);
    const incident = await createIncident(a.baseUrl);
    // A run left running by a third node that died at START: its lease runs out RUN_LEASE_MS later.
    const run: PlaybookRun = {
      id: randomUUID(),
      incident_id: incident.id,
      playbook_id: randomUUID(),
      playbook_name: 'left-behind',
      trigger: RunTrigger.Automatic,
      triggered_by: 'playbook-engine',
      status: RunStatus.Running,
      success: null,
      error: null,
      actions_executed: 0,
      created_at: START,
      started_at: START,
      finished_at: null,
      steps: [],
      definition: [],
    };
    await a.app
      .get(PlaybookRunsRepository)
      .insert(run, new Date(Date.parse(START) + RUN_LEASE_MS).toISOString());
    const status = async (): Promise<string> =>
      ((await request(b.baseUrl).get(`/v1/playbook-runs/${run.id}`).expect(200)).body as PlaybookRun).status;

    // Both nodes look for abandoned runs every LEASE_RENEW_MS: within the lease, they leave it alone.
    await Promise.all([clockA.advance(RUN_LEASE_MS - 1000), clockB.advance(RUN_LEASE_MS - 1000)]);
    expect(await status()).toBe('running');

    await Promise.all([clockA.advance(LEASE_RENEW_MS + 1000), clockB.advance(LEASE_RENEW_MS + 1000)]);
    await eventually(async () => (await status()) === 'failed', 5000, 'the abandoned run interrupted');
    const stored = (await request(b.baseUrl).get(`/v1/playbook-runs/${run.id}`).expect(200))
      .body as PlaybookRun;
    expect(stored).toMatchObject({ success: false, error: 'interrupted: its node stopped during the run' });
    expect((await eventTypes(b, incident.id)).filter((t) => t === 'playbook_completed')).toHaveLength(1);
  });
});

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
