import { SignJWT } from 'jose';
import { withoutNodeLabel } from './support/metrics-text';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { Alert, Incident } from '../src/domain';
import { alertBody, amAlert, amWebhook } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { describeOnEachStore } from './support/stores';
import { TestApp, startTestApp } from './support/test-app';
import { WsTestClient, closeAll } from './support/ws-test-client';

const T0 = '2026-06-01T10:00:00.000Z';
const HOUR = 3_600_000;
/** Short enough for the manual clock to step through quickly (it fires every timer due on the way). */
const MINUTE = 60_000;
const at = (offsetMs: number): string => new Date(Date.parse(T0) + offsetMs).toISOString();

interface SilenceView {
  id: string;
  matchers: { name: string; op: string; value: string }[];
  starts_at: string;
  ends_at: string;
  created_by: string;
  comment: string;
  status: 'pending' | 'active' | 'expired';
}

interface Ack {
  alert_id: string | null;
  incident_id: string | null;
  status: string;
  message: string;
}

function silenceBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    matchers: [{ name: 'env', op: '=', value: 'maintenance' }],
    starts_at: T0,
    ends_at: at(HOUR),
    created_by: 'alice',
    comment: 'Planned maintenance',
    ...overrides,
  };
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  if (line === undefined) throw new Error(`no series ${series}`);
  return Number(line.slice(series.length + 1));
}

describeOnEachStore('silences', (store) => {
  let t: TestApp;
  let clock: ManualClock;
  const clients: WsTestClient[] = [];

  const post = (body: Record<string, unknown>) => request(t.baseUrl).post('/v1/silences').send(body);
  /** The instant `offsetMs` from the manual clock's now. */
  const rel = (offsetMs: number): string => new Date(clock.now() + offsetMs).toISOString();
  const create = async (overrides: Record<string, unknown> = {}): Promise<SilenceView> =>
    (await post(silenceBody(overrides)).expect(201)).body as SilenceView;
  const get = async (id: string): Promise<SilenceView> =>
    (await request(t.baseUrl).get(`/v1/silences/${id}`).expect(200)).body as SilenceView;
  const expire = async (id: string): Promise<SilenceView> =>
    (await request(t.baseUrl).delete(`/v1/silences/${id}`).expect(200)).body as SilenceView;
  const sendAlert = async (overrides: Record<string, unknown>): Promise<Ack> =>
    (await request(t.baseUrl).post('/v1/alerts').send(alertBody(overrides)).expect(200)).body as Ack;
  const incidentTotal = async (): Promise<number> =>
    ((await request(t.baseUrl).get('/v1/incidents').expect(200)).body as { total: number }).total;
  const suppressedTotal = async (): Promise<number> =>
    metricValue(
      withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text),
      'llm_incident_manager_alerts_suppressed_total',
    );

  beforeAll(async () => {
    clock = new ManualClock(T0);
    t = await startTestApp(store.overrides(), undefined, { clock });
  });

  afterEach(async () => {
    await closeAll(clients.splice(0));
    // Every test starts with no active silence.
    const { silences } = (await request(t.baseUrl).get('/v1/silences?status=active').expect(200)).body as {
      silences: SilenceView[];
    };
    for (const s of silences) await expire(s.id);
    const pending = (await request(t.baseUrl).get('/v1/silences?status=pending').expect(200)).body as {
      silences: SilenceView[];
    };
    for (const s of pending.silences) await expire(s.id);
  });

  afterAll(async () => {
    await t.cleanup();
  });

  describe('CRUD and status', () => {
    it('creates a silence (201) with its status computed from the clock', async () => {
      const created = await create({ starts_at: '2026-06-01T12:00:00+02:00', ends_at: at(2 * HOUR) });
      expect(created).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/) as string,
        matchers: [{ name: 'env', op: '=', value: 'maintenance' }],
        // Normalised to UTC.
        starts_at: T0,
        ends_at: at(2 * HOUR),
        created_by: 'alice',
        comment: 'Planned maintenance',
        status: 'active',
      });
      expect(await get(created.id)).toEqual(expect.objectContaining({ ...created }));
    });

    it('goes from pending to active to expired as the clock moves', async () => {
      const s = await create({ starts_at: rel(MINUTE), ends_at: rel(2 * MINUTE) });
      expect(s.status).toBe('pending');
      await clock.advance(MINUTE);
      expect((await get(s.id)).status).toBe('active');
      await clock.advance(MINUTE);
      expect((await get(s.id)).status).toBe('expired');
    });

    it('lists silences newest first, filtered by ?status=', async () => {
      const base = clock.now() - Date.parse(T0);
      const active = await create({
        starts_at: at(base - HOUR),
        ends_at: at(base + HOUR),
        comment: 'active',
      });
      await clock.advance(1000);
      const pending = await create({
        starts_at: at(base + HOUR),
        ends_at: at(base + 2 * HOUR),
        comment: 'pending',
      });
      const list = async (query: string): Promise<string[]> =>
        (
          (await request(t.baseUrl).get(`/v1/silences${query}`).expect(200)).body as {
            silences: SilenceView[];
          }
        ).silences.map((s) => s.id);
      const all = await list('');
      expect(all.indexOf(pending.id)).toBeLessThan(all.indexOf(active.id));
      expect(await list('?status=active')).toEqual([active.id]);
      expect(await list('?status=pending')).toEqual([pending.id]);
      await expire(active.id);
      expect(await list('?status=expired')).toContain(active.id);
      expect(await list('?status=active')).toEqual([]);
      await request(t.baseUrl).get('/v1/silences?status=gone').expect(400);
    });

    it('DELETE expires it now (ends_at = now, 200 with the silence); a pending one starts now too', async () => {
      const s = await create({ starts_at: rel(-HOUR), ends_at: rel(HOUR) });
      await clock.advance(1000);
      const expired = await expire(s.id);
      expect(expired).toMatchObject({
        id: s.id,
        status: 'expired',
        ends_at: new Date(clock.now()).toISOString(),
      });
      expect(expired.starts_at).toBe(s.starts_at);
      // Again: answered as it is.
      expect(await expire(s.id)).toEqual(expired);

      const pending = await create({ starts_at: rel(HOUR), ends_at: rel(2 * HOUR) });
      const now = rel(0);
      expect(await expire(pending.id)).toMatchObject({ status: 'expired', starts_at: now, ends_at: now });
    });

    it('answers an unknown id 404 and a malformed one 400', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      await request(t.baseUrl).get(`/v1/silences/${missing}`).expect(404);
      await request(t.baseUrl).delete(`/v1/silences/${missing}`).expect(404);
      await request(t.baseUrl).get('/v1/silences/abc').expect(400);
    });
  });

  describe('validation', () => {
    const future = () => at(clock.now() - Date.parse(T0) + HOUR);
    const past = () => at(clock.now() - Date.parse(T0) - HOUR);

    it.each<[string, () => Record<string, unknown>, string]>([
      ['no matchers', () => ({ matchers: undefined }), 'matchers is required'],
      ['an empty matcher list', () => ({ matchers: [] }), 'matchers must have at least 1 matcher(s)'],
      ['null matchers', () => ({ matchers: null }), 'matchers must be an array'],
      ['a matcher that is a string', () => ({ matchers: ['env=prod'] }), 'matchers[0] must be an object'],
      [
        'an unknown op',
        () => ({ matchers: [{ name: 'env', op: '==', value: 'x' }] }),
        'matchers[0].op must be one of',
      ],
      [
        'an unknown matcher key',
        () => ({ matchers: [{ name: 'env', op: '=', value: 'x', z: 1 }] }),
        'unknown key "z"',
      ],
      [
        'a null matcher value',
        () => ({ matchers: [{ name: 'env', op: '=', value: null }] }),
        'matchers[0].value must be a string',
      ],
      [
        'an invalid regex',
        () => ({ matchers: [{ name: 'env', op: '=~', value: 'prod(' }] }),
        'matchers[0].value is not a valid regular expression',
      ],
      [
        'a regex over 1,024 characters',
        () => ({ matchers: [{ name: 'env', op: '=~', value: 'a'.repeat(1025) }] }),
        'at most 1024 characters',
      ],
      [
        '65 matchers',
        () => ({ matchers: Array.from({ length: 65 }, (_, i) => ({ name: `l${i}`, op: '=', value: 'x' })) }),
        'at most 64 matchers',
      ],
      [
        'a matcher that matches everything',
        () => ({ matchers: [{ name: 'alertname', op: '=~', value: '.*' }] }),
        'at least one matcher must not match the empty string',
      ],
      [
        'only matchers that a missing label satisfies',
        () => ({
          matchers: [
            { name: 'env', op: '!=', value: 'prod' },
            { name: 'team', op: '!~', value: 'db' },
          ],
        }),
        'at least one matcher must not match the empty string',
      ],
      [
        'ends_at before starts_at',
        () => ({ starts_at: future(), ends_at: past() }),
        'ends_at must be after starts_at',
      ],
      [
        'ends_at equal to starts_at',
        () => ({ starts_at: future(), ends_at: future() }),
        'ends_at must be after starts_at',
      ],
      [
        'ends_at in the past',
        () => ({ starts_at: at(clock.now() - Date.parse(T0) - 2 * HOUR), ends_at: past() }),
        'ends_at must be in the future',
      ],
      [
        'a date without time',
        () => ({ starts_at: '2026-06-01' }),
        'starts_at must be an RFC 3339 date-time with an offset',
      ],
      [
        'a time without offset',
        () => ({ ends_at: '2026-06-01T12:00:00' }),
        'ends_at must be an RFC 3339 date-time with an offset',
      ],
      [
        'an impossible date',
        () => ({ ends_at: '2026-02-30T12:00:00Z' }),
        'ends_at must be an RFC 3339 date-time with an offset',
      ],
      [
        'a numeric instant',
        () => ({ starts_at: 1780000000 }),
        'starts_at must be an RFC 3339 date-time with an offset',
      ],
      ['a null created_by', () => ({ created_by: null }), 'created_by must be a string'],
      [
        'an empty created_by',
        () => ({ created_by: '' }),
        'created_by must be longer than or equal to 1 characters',
      ],
      ['no comment', () => ({ comment: undefined }), 'comment is required'],
      ['an empty comment', () => ({ comment: '' }), 'comment must be longer than or equal to 1 characters'],
      [
        'a comment over 10,000 characters',
        () => ({ comment: 'c'.repeat(10_001) }),
        'comment must be shorter than or equal to 10000 characters',
      ],
    ])('refuses %s with 400 VALIDATION_ERROR', async (_case, overrides, message) => {
      const before = (await request(t.baseUrl).get('/v1/silences').expect(200)).body as {
        silences: unknown[];
      };
      const res = await post(silenceBody({ starts_at: past(), ends_at: future(), ...overrides() })).expect(
        400,
      );
      expect(res.body).toMatchObject({ error: { code: 'VALIDATION_ERROR', status: 400 } });
      expect((res.body as { error: { message: string } }).error.message).toContain(message);
      const after = (await request(t.baseUrl).get('/v1/silences').expect(200)).body as {
        silences: unknown[];
      };
      expect(after.silences).toHaveLength(before.silences.length);
    });

    it('refuses a __proto__ key in a matcher', async () => {
      const body = `{"matchers":[{"name":"env","op":"=","value":"x","__proto__":{"op":"=~"}}],"starts_at":"${past()}","ends_at":"${future()}","created_by":"a","comment":"c"}`;
      const res = await request(t.baseUrl)
        .post('/v1/silences')
        .set('content-type', 'application/json')
        .send(body)
        .expect(400);
      expect(res.body).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
    });

    it('needs created_by when there is no credential (AUTH_MODE=none)', async () => {
      const res = await post(
        silenceBody({ created_by: undefined, starts_at: past(), ends_at: future() }),
      ).expect(400);
      expect((res.body as { error: { message: string } }).error.message).toBe('created_by is required');
    });
  });

  describe('suppression', () => {
    let silence: SilenceView;

    beforeEach(async () => {
      const base = clock.now() - Date.parse(T0);
      silence = await create({
        matchers: [
          { name: 'env', op: '=~', value: 'maint.*' },
          { name: 'severity', op: '=~', value: 'P[2-4]' },
        ],
        starts_at: at(base - 60_000),
        ends_at: at(base + HOUR),
      });
    });

    it('stores a matching alert as suppressed: ack Suppressed, no incident, alert_received with suppressed on the stream, counted', async () => {
      const client = await WsTestClient.connect(t.wsUrl);
      clients.push(client);
      await client.subscribe('all', {});
      const incidentsBefore = await incidentTotal();
      const suppressedBefore = await suppressedTotal();

      const ack = await sendAlert({ severity: 'P3', labels: { env: 'maintenance' } });
      expect(ack).toEqual({
        alert_id: expect.any(String) as string,
        incident_id: null,
        status: 'Suppressed',
        message: `Suppressed by silence ${silence.id}; no incident opened or updated`,
      });
      const [event] = await client.events(1);
      expect(event.event).toMatchObject({
        event_type: 'alert_received',
        alert: { id: ack.alert_id, suppressed: true, silence_id: silence.id, incident_id: null },
      });
      // Nothing else was published for it: the next frame is the sentinel's.
      await client.expectNothingPending();
      const stored = (await request(t.baseUrl).get(`/v1/alerts/${ack.alert_id}`).expect(200)).body as Alert;
      expect(stored).toMatchObject({ suppressed: true, silence_id: silence.id, incident_id: null });
      expect(await incidentTotal()).toBe(incidentsBefore);
      expect(await suppressedTotal()).toBe(suppressedBefore + 1);
      const metrics = withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text);
      expect(
        metricValue(
          metrics,
          'llm_incident_manager_alerts_received_total{origin="native",status="Suppressed"}',
        ),
      ).toBeGreaterThan(0);
    });

    it('lets through an alert that any matcher rejects, and carries no suppressed field then', async () => {
      const severe = await sendAlert({ severity: 'P1', labels: { env: 'maintenance' } });
      expect(severe.status).toBe('Accepted');
      const otherEnv = await sendAlert({ severity: 'P3', labels: { env: 'prod' } });
      expect(otherEnv.status).toBe('Accepted');
      const stored = (await request(t.baseUrl).get(`/v1/alerts/${otherEnv.alert_id}`).expect(200))
        .body as Record<string, unknown>;
      expect(stored).not.toHaveProperty('suppressed');
      expect(stored).not.toHaveProperty('silence_id');
    });

    it('matches severity, source and alert_type as pseudo-labels, which win over labels of those names', async () => {
      await expire(silence.id);
      const base = clock.now() - Date.parse(T0);
      const bySource = await create({
        matchers: [
          { name: 'source', op: '=', value: 'noisy-exporter' },
          { name: 'alert_type', op: '=', value: 'Performance' },
        ],
        starts_at: at(base - 1000),
        ends_at: at(base + HOUR),
      });
      const ack = await sendAlert({ source: 'noisy-exporter', alert_type: 'Performance', labels: {} });
      expect(ack).toMatchObject({ status: 'Suppressed', incident_id: null });
      expect(ack.message).toContain(bySource.id);
      expect((await sendAlert({ source: 'noisy-exporter', alert_type: 'Security' })).status).toBe('Accepted');
      // A label named severity is shadowed by the alert's own severity.
      await create({
        matchers: [{ name: 'severity', op: '=', value: 'critical' }],
        starts_at: at(base - 1000),
        ends_at: at(base + HOUR),
      });
      expect((await sendAlert({ severity: 'P0', labels: { severity: 'critical' } })).status).toBe('Accepted');
    });

    it('does not let a suppressed duplicate touch the open incident', async () => {
      const title = `Disk full ${Date.now()}`;
      const first = await sendAlert({ title, severity: 'P1', labels: { env: 'maintenance' } });
      expect(first.status).toBe('Accepted');
      const before = (await request(t.baseUrl).get(`/v1/incidents/${first.incident_id}`).expect(200))
        .body as Incident;
      const second = await sendAlert({ title, severity: 'P3', labels: { env: 'maintenance' } });
      expect(second).toMatchObject({ status: 'Suppressed', incident_id: null });
      expect((await request(t.baseUrl).get(`/v1/incidents/${first.incident_id}`).expect(200)).body).toEqual(
        before,
      );
    });

    it('suppresses nothing while pending or once expired', async () => {
      await expire(silence.id);
      expect((await sendAlert({ severity: 'P3', labels: { env: 'maintenance' } })).status).toBe('Accepted');
      const base = clock.now() - Date.parse(T0);
      await create({
        matchers: [{ name: 'env', op: '=', value: 'later' }],
        starts_at: at(base + MINUTE),
        ends_at: at(base + 2 * MINUTE),
      });
      expect((await sendAlert({ labels: { env: 'later' } })).status).toBe('Accepted');
      await clock.advance(MINUTE);
      expect((await sendAlert({ labels: { env: 'later' } })).status).toBe('Suppressed');
      await clock.advance(MINUTE);
      expect((await sendAlert({ labels: { env: 'later' } })).status).toBe('Accepted');
    });

    it('suppresses Alertmanager alerts; a re-delivery while silenced changes nothing; once expired it opens an incident', async () => {
      const labels = {
        alertname: `Maint${Date.now()}`,
        instance: 'db-1',
        env: 'maintenance',
        severity: 'warning',
      };
      const webhook = amWebhook([amAlert('firing', labels)]);
      const path = '/v1/integrations/alertmanager';
      const [first] = (
        (await request(t.baseUrl).post(path).send(webhook).expect(200)).body as { acks: Ack[] }
      ).acks;
      expect(first).toMatchObject({ status: 'Suppressed', incident_id: null });
      const [again] = (
        (await request(t.baseUrl).post(path).send(webhook).expect(200)).body as { acks: Ack[] }
      ).acks;
      expect(again).toMatchObject({ status: 'Duplicate', alert_id: first.alert_id, incident_id: null });
      await expire(silence.id);
      const [after] = (
        (await request(t.baseUrl).post(path).send(webhook).expect(200)).body as { acks: Ack[] }
      ).acks;
      expect(after.status).toBe('Accepted');
      expect(after.incident_id).not.toBeNull();
      const resolved = amWebhook([amAlert('resolved', labels)], 'resolved');
      const [done] = (
        (await request(t.baseUrl).post(path).send(resolved).expect(200)).body as { acks: Ack[] }
      ).acks;
      expect(done.status).toBe('Resolved');
    });
  });

  it('keeps silences across a restart (the cache is loaded at start)', async () => {
    const base = clock.now() - Date.parse(T0);
    const s = await create({
      matchers: [{ name: 'env', op: '=', value: 'restart' }],
      starts_at: at(base - 1000),
      ends_at: at(base + HOUR),
    });
    await t.close();
    t = await startTestApp(
      store.overrides(),
      store.name === 'SQLite' ? { dbPath: t.dbPath, dir: (t as TestApp & { dir: string }).dir } : undefined,
      { clock },
    );
    expect((await get(s.id)).status).toBe('active');
    expect((await sendAlert({ labels: { env: 'restart' } })).status).toBe('Suppressed');
  });
});

describe('silences with authentication', () => {
  const SECRET = 'silences-e2e-secret-of-32-or-more-chars';
  let t: TestApp;
  let dir: string;
  let clock: ManualClock;

  async function token(sub: string, scope: string, constraint?: Record<string, unknown>): Promise<string> {
    const claims: Record<string, unknown> = { sub, scope };
    if (constraint !== undefined) claims.llm_im_constraint = constraint;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(Math.floor(clock.now() / 1000) + 3600)
      .sign(new TextEncoder().encode(SECRET));
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-silences-auth-'));
    clock = new ManualClock(Date.now());
    t = await startTestApp(
      { AUTH_MODE: 'required', AUTH_JWT_SECRET: SECRET, ADMIN_KEY_FILE: join(dir, 'admin.key') },
      undefined,
      { clock },
    );
  });

  afterAll(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const body = () => ({
    matchers: [{ name: 'env', op: '=', value: 'x' }],
    starts_at: new Date(clock.now()).toISOString(),
    ends_at: new Date(clock.now() + HOUR).toISOString(),
    comment: 'c',
  });

  it('creates with incidents:write, recording the credential as created_by', async () => {
    const oncall = await token('alice@oncall', 'incidents:write');
    const res = await request(t.baseUrl)
      .post('/v1/silences')
      .set('authorization', `Bearer ${oncall}`)
      .send(body())
      .expect(201);
    expect((res.body as SilenceView).created_by).toBe('alice@oncall');
    const named = await request(t.baseUrl)
      .post('/v1/silences')
      .set('authorization', `Bearer ${oncall}`)
      .send({ ...body(), created_by: 'bob' })
      .expect(201);
    expect((named.body as SilenceView).created_by).toBe('bob');
    await request(t.baseUrl)
      .delete(`/v1/silences/${(res.body as SilenceView).id}`)
      .set('authorization', `Bearer ${oncall}`)
      .expect(200);
  });

  it('reads with incidents:read, which may not create or expire', async () => {
    const reader = await token('wall', 'incidents:read');
    await request(t.baseUrl).get('/v1/silences').set('authorization', `Bearer ${reader}`).expect(200);
    await request(t.baseUrl)
      .post('/v1/silences')
      .set('authorization', `Bearer ${reader}`)
      .send(body())
      .expect(403);
  });

  it('refuses alerts:write (a sender must not mute other senders) and a constrained credential', async () => {
    const sender = await token('am', 'alerts:write');
    await request(t.baseUrl)
      .post('/v1/silences')
      .set('authorization', `Bearer ${sender}`)
      .send(body())
      .expect(403);
    const scoped = await token('team-db', 'incidents:write', { labels: { team: 'db' } });
    const res = await request(t.baseUrl)
      .post('/v1/silences')
      .set('authorization', `Bearer ${scoped}`)
      .send(body())
      .expect(403);
    expect(res.body).toMatchObject({ error: { code: 'AUTHORIZATION_ERROR' } });
  });
});
