import { SignJWT } from 'jose';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { describeOnEachStore } from './support/stores';
import { TestApp, startTestApp } from './support/test-app';

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const JWT_SECRET = 'an-e2e-secret-of-at-least-32-characters';

const bearer = (token: string): { Authorization: string } => ({ Authorization: `Bearer ${token}` });

describeOnEachStore('API keys', (store) => {
  let t: TestApp & { dir: string };
  let keyDir: string;
  let keyFile: string;
  let admin: string;

  beforeAll(async () => {
    keyDir = mkdtempSync(join(tmpdir(), 'llm-im-keys-'));
    keyFile = join(keyDir, 'secrets', 'admin.key');
    t = await startTestApp({ ...store.overrides(), AUTH_MODE: 'required', ADMIN_KEY_FILE: keyFile });
    admin = readFileSync(keyFile, 'utf8').trim();
  });

  afterAll(async () => {
    await t?.cleanup();
    rmSync(keyDir, { recursive: true, force: true });
  });

  it('bootstraps an admin key into ADMIN_KEY_FILE, mode 0600, listed without the key', async () => {
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const res = await request(t.baseUrl).get('/v1/api-keys').set(bearer(admin)).expect(200);
    expect(res.body).toEqual({
      api_keys: [
        {
          id: expect.any(String),
          name: 'admin',
          scopes: ['admin'],
          constraint: null,
          expires_at: null,
          created_at: expect.any(String),
          revoked_at: null,
        },
      ],
    });
    expect(JSON.stringify(res.body)).not.toContain(admin);
  });

  it('creates a key shown once, which authenticates at once with its scopes only', async () => {
    const created = await request(t.baseUrl)
      .post('/v1/api-keys')
      .set(bearer(admin))
      .send({ name: 'reader', scopes: ['incidents:read'], expires_at: '2999-01-01T00:00:00Z' })
      .expect(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'reader',
      scopes: ['incidents:read'],
      constraint: null,
      expires_at: '2999-01-01T00:00:00.000Z',
      created_at: expect.any(String),
      key: expect.stringMatching(/^llmim_[A-Za-z0-9_-]{43}$/),
    });
    const key = created.body.key as string;
    await request(t.baseUrl).get('/v1/incidents').set(bearer(key)).expect(200);
    const forbidden = await request(t.baseUrl).get('/v1/api-keys').set(bearer(key)).expect(403);
    expect(forbidden.body.error.code).toBe('AUTHORIZATION_ERROR');
    const listed = await request(t.baseUrl).get('/v1/api-keys').set(bearer(admin)).expect(200);
    expect(JSON.stringify(listed.body)).not.toContain(key);
  });

  it('revokes a key at once (204); it is then 401 and listed as revoked; an unknown id is 404', async () => {
    const { id, key } = (
      await request(t.baseUrl)
        .post('/v1/api-keys')
        .set(bearer(admin))
        .send({ name: 'to-revoke', scopes: ['incidents:read'] })
        .expect(201)
    ).body as { id: string; key: string };
    await request(t.baseUrl).get('/v1/incidents').set(bearer(key)).expect(200);
    await request(t.baseUrl).delete(`/v1/api-keys/${id}`).set(bearer(admin)).expect(204);
    const refused = await request(t.baseUrl).get('/v1/incidents').set(bearer(key)).expect(401);
    expect(refused.body.error.code).toBe('AUTHENTICATION_ERROR');
    const listed = (await request(t.baseUrl).get('/v1/api-keys').set(bearer(admin)).expect(200)).body as {
      api_keys: { id: string; revoked_at: string | null }[];
    };
    expect(listed.api_keys.find((k) => k.id === id)?.revoked_at).toEqual(expect.any(String));
    await request(t.baseUrl).delete(`/v1/api-keys/${UNKNOWN_ID}`).set(bearer(admin)).expect(404);
  });

  it('a name already taken is 409 CONFLICT', async () => {
    const res = await request(t.baseUrl)
      .post('/v1/api-keys')
      .set(bearer(admin))
      .send({ name: 'admin', scopes: ['admin'] })
      .expect(409);
    expect(res.body.error).toEqual({
      code: 'CONFLICT',
      message: 'API key named "admin" already exists',
      status: 409,
    });
  });

  it('concurrent creations of one name are one 201 and 409s, never a 500', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(t.baseUrl)
          .post('/v1/api-keys')
          .set(bearer(admin))
          .send({ name: 'race', scopes: ['admin'] }),
      ),
    );
    const statuses = answers.map((res) => res.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  it.each([
    ['no scope', { name: 'bad', scopes: [] }],
    ['an unknown scope', { name: 'bad', scopes: ['root'] }],
    ['no name', { scopes: ['admin'] }],
    ['an expiry in the past', { name: 'bad', scopes: ['admin'], expires_at: '2001-01-01T00:00:00Z' }],
    ['an expiry that is not RFC 3339', { name: 'bad', scopes: ['admin'], expires_at: 'tomorrow' }],
    ['a constraint that is not an object', { name: 'bad', scopes: ['admin'], constraint: ['x'] }],
  ])('%s is 400 VALIDATION_ERROR', async (_what, body) => {
    const res = await request(t.baseUrl).post('/v1/api-keys').set(bearer(admin)).send(body).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('without a credential, or with an unknown key, is 401', async () => {
    await request(t.baseUrl).get('/v1/api-keys').expect(401);
    await request(t.baseUrl)
      .get('/v1/api-keys')
      .set(bearer(`llmim_${'A'.repeat(43)}`))
      .expect(401);
  });
});

describe('API keys across a restart, and JWTs (SQLite)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('keeps keys and revocations across a restart, and bootstraps no second admin key', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'llm-im-keys-'));
    dirs.push(keyDir);
    const env = { AUTH_MODE: 'required', ADMIN_KEY_FILE: join(keyDir, 'admin.key') };
    const first = await startTestApp(env);
    dirs.push(first.dir);
    const admin = readFileSync(env.ADMIN_KEY_FILE, 'utf8').trim();
    const kept = (
      await request(first.baseUrl)
        .post('/v1/api-keys')
        .set(bearer(admin))
        .send({ name: 'kept', scopes: ['incidents:read'] })
        .expect(201)
    ).body as { key: string };
    const revoked = (
      await request(first.baseUrl)
        .post('/v1/api-keys')
        .set(bearer(admin))
        .send({ name: 'revoked', scopes: ['incidents:read'] })
        .expect(201)
    ).body as { id: string; key: string };
    await request(first.baseUrl).delete(`/v1/api-keys/${revoked.id}`).set(bearer(admin)).expect(204);
    await first.close();

    const second = await startTestApp(env, { dbPath: first.dbPath, dir: first.dir });
    try {
      expect(readFileSync(env.ADMIN_KEY_FILE, 'utf8').trim()).toBe(admin);
      await request(second.baseUrl).get('/v1/incidents').set(bearer(kept.key)).expect(200);
      await request(second.baseUrl).get('/v1/incidents').set(bearer(revoked.key)).expect(401);
      const listed = (await request(second.baseUrl).get('/v1/api-keys').set(bearer(admin)).expect(200))
        .body as {
        api_keys: unknown[];
      };
      expect(listed.api_keys).toHaveLength(3);
    } finally {
      await second.close();
    }
  });

  it('with AUTH_JWT_SECRET: no admin key is bootstrapped, and an admin JWT manages keys', async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'llm-im-keys-'));
    dirs.push(keyDir);
    const keyFile = join(keyDir, 'admin.key');
    const t = await startTestApp({
      AUTH_MODE: 'required',
      AUTH_JWT_SECRET: JWT_SECRET,
      ADMIN_KEY_FILE: keyFile,
    });
    dirs.push(t.dir);
    try {
      expect(() => statSync(keyFile)).toThrow(/ENOENT/);
      const sign = (scope: string): Promise<string> =>
        new SignJWT({ sub: 'alice', scope })
          .setProtectedHeader({ alg: 'HS256' })
          .setExpirationTime('10m')
          .sign(new TextEncoder().encode(JWT_SECRET));
      const created = await request(t.baseUrl)
        .post('/v1/api-keys')
        .set(bearer(await sign('admin')))
        .send({ name: 'from-jwt', scopes: ['alerts:write'] })
        .expect(201);
      expect(created.body.name).toBe('from-jwt');
      await request(t.baseUrl)
        .get('/v1/api-keys')
        .set(bearer(await sign('incidents:read')))
        .expect(403);
      const noExp = await new SignJWT({ sub: 'alice', scope: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .sign(new TextEncoder().encode(JWT_SECRET));
      await request(t.baseUrl).get('/v1/api-keys').set(bearer(noExp)).expect(401);
    } finally {
      await t.close();
    }
  });
});
