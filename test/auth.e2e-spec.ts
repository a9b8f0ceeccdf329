import { SignJWT } from 'jose';
import { withoutNodeLabel } from './support/metrics-text';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { makeIncident } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { publish } from './support/publish';
import { TestApp, startTestApp } from './support/test-app';
import { WsTestClient, closeAll } from './support/ws-test-client';

const JWT_SECRET = 'a-test-secret-of-at-least-32-bytes-long!';

describe('authentication and scopes (AUTH_MODE=required)', () => {
  let t: TestApp;
  let dir: string;
  let admin: string;
  const clock = new ManualClock(Date.now());
  const clients: WsTestClient[] = [];

  /** A new API key with these scopes (and constraint), made with the bootstrap admin key. */
  async function key(
    scopes: string[],
    constraint?: Record<string, unknown>,
  ): Promise<{ id: string; key: string }> {
    const body = {
      name: `key-${Math.random().toString(36).slice(2)}`,
      scopes,
      ...(constraint ? { constraint } : {}),
    };
    const res = await request(t.baseUrl)
      .post('/v1/api-keys')
      .set('authorization', `Bearer ${admin}`)
      .send(body)
      .expect(201);
    return res.body as { id: string; key: string };
  }

  async function jwt(claims: Record<string, unknown>, expiresInSeconds: number): Promise<string> {
    const now = Math.floor(clock.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + expiresInSeconds)
      .sign(new TextEncoder().encode(JWT_SECRET));
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-auth-'));
    t = await startTestApp(
      { AUTH_MODE: 'required', AUTH_JWT_SECRET: JWT_SECRET, ADMIN_KEY_FILE: join(dir, 'admin.key') },
      undefined,
      { clock },
    );
    admin = await jwt({ sub: 'operator', scope: 'admin' }, 3600);
  });

  afterEach(async () => {
    await closeAll(clients.splice(0));
  });

  afterAll(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a route without a credential 401 in the error body, and keeps health public', async () => {
    const res = await request(t.baseUrl).get('/v1/incidents').expect(401);
    expect(res.body).toEqual({
      error: { code: 'AUTHENTICATION_ERROR', message: expect.any(String), status: 401 },
    });
    await request(t.baseUrl).get('/v1/incidents').set('authorization', 'Bearer llmim_nope').expect(401);
    await request(t.baseUrl).get('/v1/incidents').set('authorization', 'Basic abc').expect(401);
    await request(t.baseUrl).get('/health/ready').expect(200);
    await request(t.baseUrl).get('/metrics').expect(401);
    await request(t.baseUrl).get('/metrics').set('authorization', `Bearer ${admin}`).expect(200);
  });

  it('records a change by a credential under its name when the body names no actor', async () => {
    const writer = await jwt({ sub: 'pager-bot', scope: 'incidents:write incidents:read' }, 600);
    const created = await request(t.baseUrl)
      .post('/v1/incidents')
      .set('authorization', `Bearer ${writer}`)
      .send({ source: 's', title: 't', description: 'd', severity: 'P2', incident_type: 'Application' })
      .expect(201);
    const changed = await request(t.baseUrl)
      .patch(`/v1/incidents/${created.body.id}`)
      .set('authorization', `Bearer ${writer}`)
      .send({ state: 'Investigating' })
      .expect(200);
    expect(changed.body.timeline.at(-1)).toMatchObject({ actor: 'pager-bot' });
    const comment = await request(t.baseUrl)
      .post(`/v1/incidents/${created.body.id}/comments`)
      .set('authorization', `Bearer ${writer}`)
      .send({ comment: 'on it' })
      .expect(201);
    expect(comment.body).toMatchObject({ author: 'pager-bot' });
    const resolved = await request(t.baseUrl)
      .post(`/v1/incidents/${created.body.id}/resolve`)
      .set('authorization', `Bearer ${writer}`)
      .send({ method: 'Manual', notes: 'fixed' })
      .expect(200);
    expect(resolved.body.resolution).toMatchObject({ resolved_by: 'pager-bot' });
    const named = await request(t.baseUrl)
      .post(`/v1/incidents/${created.body.id}/close`)
      .set('authorization', `Bearer ${writer}`)
      .send({ actor: 'someone-else' })
      .expect(200);
    expect(named.body.timeline.at(-1)).toMatchObject({ actor: 'someone-else' });
  });

  it('lets a credential do what its scopes allow and answers 403 for the rest', async () => {
    const reader = await key(['incidents:read']);
    await request(t.baseUrl).get('/v1/incidents').set('authorization', `Bearer ${reader.key}`).expect(200);
    const denied = await request(t.baseUrl)
      .post('/v1/system/events')
      .set('authorization', `Bearer ${reader.key}`)
      .send({ category: 'x', message: 'y' })
      .expect(403);
    expect(denied.body.error.code).toBe('AUTHORIZATION_ERROR');
    const token = await jwt({ sub: 'ci-bot', scope: 'alerts:write' }, 600);
    await request(t.baseUrl)
      .post('/v1/alerts')
      .set('authorization', `Bearer ${token}`)
      .send({
        source: 'ci',
        title: 'build broke',
        description: 'd',
        severity: 'P3',
        alert_type: 'Application',
      })
      .expect(200);
    await request(t.baseUrl).get('/v1/incidents').set('authorization', `Bearer ${token}`).expect(403);
  });

  it('closes an upgrade without a valid credential with closing, then 4001, and one without stream:read 4003', async () => {
    const anonymous = await WsTestClient.connect(t.wsUrl, { expectWelcome: false });
    clients.push(anonymous);
    expect(await anonymous.next()).toEqual({ type: 'closing', reason: 'unauthorized' });
    expect((await anonymous.waitClosed()).code).toBe(4001);

    const reader = await key(['incidents:read']);
    const noStream = await WsTestClient.connect(t.wsUrl, {
      expectWelcome: false,
      headers: { authorization: `Bearer ${reader.key}` },
    });
    clients.push(noStream);
    expect(await noStream.next()).toEqual({ type: 'closing', reason: 'forbidden' });
    expect((await noStream.waitClosed()).code).toBe(4003);
  });

  it('accepts stream:read from the Authorization header or the access_token parameter, and closes 4001 on revocation', async () => {
    const streamer = await key(['stream:read']);
    const byHeader = await WsTestClient.connect(t.wsUrl, {
      headers: { authorization: `Bearer ${streamer.key}` },
    });
    const byQuery = await WsTestClient.connect(`${t.wsUrl}?access_token=${encodeURIComponent(streamer.key)}`);
    clients.push(byHeader, byQuery);
    expect(byHeader.welcome.type).toBe('welcome');
    expect(byQuery.welcome.type).toBe('welcome');

    await request(t.baseUrl)
      .delete(`/v1/api-keys/${streamer.id}`)
      .set('authorization', `Bearer ${admin}`)
      .expect(204);
    for (const client of [byHeader, byQuery]) {
      expect(await client.next('closing')).toEqual({ type: 'closing', reason: 'unauthorized' });
      expect((await client.waitClosed()).code).toBe(4001);
    }
  });

  it('lets a constrained credential create incidents inside its constraint only', async () => {
    const team = await jwt(
      {
        sub: 'db-team',
        scope: 'incidents:write incidents:read',
        llm_im_constraint: { labels: { team: 'db' } },
      },
      600,
    );
    const body = { source: 's', title: 't', description: 'd', severity: 'P2', incident_type: 'Application' };
    await request(t.baseUrl)
      .post('/v1/incidents')
      .set('authorization', `Bearer ${team}`)
      .send({ ...body, labels: { team: 'db' } })
      .expect(201);
    const outside = await request(t.baseUrl)
      .post('/v1/incidents')
      .set('authorization', `Bearer ${team}`)
      .send({ ...body, labels: { team: 'web' } })
      .expect(403);
    expect(outside.body.error.code).toBe('AUTHORIZATION_ERROR');
  });

  it('refuses a key whose constraint is not a valid filter (an unknown key would otherwise widen it)', async () => {
    for (const constraint of [{ severity: ['P0'] }, { severities: ['P9'] }, { labels: { env: 1 } }, 'P0']) {
      await request(t.baseUrl)
        .post('/v1/api-keys')
        .set('authorization', `Bearer ${admin}`)
        .set('content-type', 'application/json')
        .send(JSON.stringify({ name: 'bad-constraint', scopes: ['stream:read'], constraint }))
        .expect(400);
    }
  });

  it('ANDs the credential constraint into every subscription: a client can narrow it, never widen it', async () => {
    const constrained = await key(['stream:read'], { severities: ['P0'] });
    const client = await WsTestClient.connect(t.wsUrl, {
      headers: { authorization: `Bearer ${constrained.key}` },
    });
    clients.push(client);
    await client.subscribe('everything');
    await client.subscribe('wider', { severities: ['P0', 'P1'] });
    for (const severity of ['P1', 'P2', 'P0'] as const) {
      const incident = makeIncident({ severity, title: `constrained ${severity}` });
      await publish(t.app, { event_type: 'incident_created', incident }, incident);
    }
    const [only] = await client.events(1);
    expect(only.event.incident.title).toBe('constrained P0');
    await client.expectNothingPending();
    expect(client.receivedEvents()).toHaveLength(1);
  });

  it('keeps a connection past its token with auth and a fresh token of the same subject, and refuses others', async () => {
    const first = await jwt({ sub: 'wall', scope: 'stream:read' }, 60);
    const client = await WsTestClient.connect(t.wsUrl, { headers: { authorization: `Bearer ${first}` } });
    clients.push(client);
    const stranger = await jwt({ sub: 'someone-else', scope: 'stream:read' }, 600);
    expect(await client.request({ type: 'auth', token: stranger })).toMatchObject({
      type: 'error',
      code: 'AUTHORIZATION_ERROR',
    });
    expect(await client.request({ type: 'auth', token: 'not-a-token' })).toMatchObject({
      type: 'error',
      code: 'AUTHENTICATION_ERROR',
    });
    const fresh = await jwt({ sub: 'wall', scope: 'stream:read' }, 120);
    const ok = await client.request({ type: 'auth', token: fresh });
    expect(ok).toEqual({ type: 'auth_ok', expires_at: expect.any(String) });
    expect(Date.parse(ok.expires_at as string)).toBeGreaterThan(clock.now() + 119_000 - 1_000);
    await clock.advance(61_000);
    await client.expectNothingPending();
    await clock.advance(60_000);
    expect(await client.next('closing')).toEqual({ type: 'closing', reason: 'unauthorized' });
    expect((await client.waitClosed()).code).toBe(4001);
  });

  it('counts refused credentials by reason and transport, never with the credential', async () => {
    await request(t.baseUrl).get('/v1/incidents').expect(401);
    await request(t.baseUrl)
      .get('/v1/incidents')
      .set('authorization', 'Bearer llmim_secret-looking')
      .expect(401);
    const text = withoutNodeLabel(
      (await request(t.baseUrl).get('/metrics').set('authorization', `Bearer ${admin}`).expect(200)).text,
    );
    const value = (series: string): number =>
      Number(
        text
          .split('\n')
          .find((line) => line.startsWith(`${series} `))
          ?.split(' ')[1],
      );
    expect(
      value('llm_incident_manager_auth_failures_total{reason="missing",transport="http"}'),
    ).toBeGreaterThan(0);
    expect(
      value('llm_incident_manager_auth_failures_total{reason="malformed",transport="http"}'),
    ).toBeGreaterThan(0);
    expect(
      value('llm_incident_manager_auth_failures_total{reason="insufficient_scope",transport="ws"}'),
    ).toBeGreaterThan(0);
    expect(text).not.toContain('secret-looking');
  });

  it('closes a connection whose token expires with closing, then 4001', async () => {
    const token = await jwt({ sub: 'dashboard', scope: 'stream:read' }, 60);
    const client = await WsTestClient.connect(t.wsUrl, { headers: { authorization: `Bearer ${token}` } });
    clients.push(client);
    await clock.advance(59_000);
    await client.expectNothingPending();
    await clock.advance(1_000);
    expect(await client.next('closing')).toEqual({ type: 'closing', reason: 'unauthorized' });
    expect((await client.waitClosed()).code).toBe(4001);
  });
});

describe('the bootstrap admin key', () => {
  it('is created on a fresh store without JWT settings, written with mode 0600, and works', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-im-admin-key-'));
    const adminKeyFile = join(dir, 'nested', 'admin.key');
    const t = await startTestApp({ AUTH_MODE: 'required', ADMIN_KEY_FILE: adminKeyFile });
    try {
      expect(statSync(adminKeyFile).mode & 0o777).toBe(0o600);
      const key = readFileSync(adminKeyFile, 'utf8').trim();
      await request(t.baseUrl).get('/v1/api-keys').set('authorization', `Bearer ${key}`).expect(200);
      await request(t.baseUrl).get('/v1/api-keys').expect(401);
    } finally {
      await t.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('METRICS_PUBLIC', () => {
  it('opens /metrics alone to scrapers without a credential', async () => {
    const t = await startTestApp({
      AUTH_MODE: 'required',
      AUTH_JWT_SECRET: JWT_SECRET,
      METRICS_PUBLIC: 'true',
    });
    try {
      await request(t.baseUrl).get('/metrics').expect(200);
      await request(t.baseUrl).get('/v1/incidents').expect(401);
    } finally {
      await t.cleanup();
    }
  });
});
