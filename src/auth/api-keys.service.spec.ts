import { firstValueFrom, toArray } from 'rxjs';
import { ManualClock } from '../../test/support/manual-clock';
import { InMemoryApiKeysRepository, asRepository } from '../../test/support/in-memory-api-keys.repository';
import { ConflictError, NotFoundError, ValidationError } from '../common/api-error';
import { hashApiKey } from './api-key';
import { ApiKeysService } from './api-keys.service';
import { AuthFailure, AuthenticationFailedError, CredentialKind } from './principal';

const HOUR = 3_600_000;

function failureOf(fn: () => unknown): AuthFailure | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof AuthenticationFailedError) return error.reason;
    throw error;
  }
  return undefined;
}

describe('ApiKeysService', () => {
  let clock: ManualClock;
  let repository: InMemoryApiKeysRepository;
  let service: ApiKeysService;

  beforeEach(async () => {
    clock = new ManualClock('2026-03-01T12:00:00.000Z');
    repository = new InMemoryApiKeysRepository();
    service = new ApiKeysService(asRepository(repository), clock);
    await service.onApplicationBootstrap();
  });

  it('returns the key once and stores only its hash', async () => {
    const created = await service.create({ name: 'ci', scopes: ['alerts:write'] });
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'ci',
      scopes: ['alerts:write'],
      constraint: null,
      expires_at: null,
      created_at: '2026-03-01T12:00:00.000Z',
      key: expect.stringMatching(/^llmim_/),
    });
    expect(repository.rows).toHaveLength(1);
    expect(repository.rows[0].keyHash).toBe(hashApiKey(created.key));
    expect(JSON.stringify(repository.rows)).not.toContain(created.key);
  });

  it('authenticates a key as its principal: id, name, scopes, constraint, expiry', async () => {
    const created = await service.create({
      name: 'prod-reader',
      scopes: ['incidents:read', 'stream:read'],
      constraint: { labels: { env: 'prod' } },
      expires_at: '2026-03-01T14:00:00+01:00',
    });
    expect(created.expires_at).toBe('2026-03-01T13:00:00.000Z');
    const principal = service.authenticate(created.key);
    expect(principal).toEqual({
      kind: CredentialKind.ApiKey,
      id: created.id,
      name: 'prod-reader',
      scopes: new Set(['incidents:read', 'stream:read']),
      constraint: { labels: { env: 'prod' } },
      expiresAt: Date.parse('2026-03-01T13:00:00.000Z'),
    });
    // The hot path hands out one principal per key, built once.
    expect(service.authenticate(created.key)).toBe(principal);
  });

  it('refuses an unknown key as unknown_key and a token that is not a key as malformed', () => {
    expect(failureOf(() => service.authenticate(`llmim_${'A'.repeat(43)}`))).toBe(AuthFailure.Unknown);
    expect(failureOf(() => service.authenticate('llmim_short'))).toBe(AuthFailure.Malformed);
  });

  it('refuses a key from its expiry on', async () => {
    const { key } = await service.create({
      name: 'temp',
      scopes: ['admin'],
      expires_at: '2026-03-01T13:00:00Z',
    });
    await clock.advance(HOUR - 1);
    expect(failureOf(() => service.authenticate(key))).toBeUndefined();
    await clock.advance(1);
    expect(failureOf(() => service.authenticate(key))).toBe(AuthFailure.Expired);
  });

  it('refuses a key at once when it is revoked, tells revoked$ once, and lists it as revoked', async () => {
    const { id, key } = await service.create({ name: 'old', scopes: ['admin'] });
    const revocations = firstValueFrom(service.revoked$.pipe(toArray()));
    await clock.advance(1000);
    await service.revoke(id);
    expect(failureOf(() => service.authenticate(key))).toBe(AuthFailure.Revoked);
    await service.revoke(id); // again: nothing changes
    service.onApplicationShutdown();
    expect(await revocations).toEqual([id]);
    expect(await service.list()).toEqual([
      expect.objectContaining({ id, revoked_at: '2026-03-01T12:00:01.000Z' }),
    ]);
    expect(repository.rows[0].revokedAt).toBe('2026-03-01T12:00:01.000Z');
  });

  it('revoking an unknown id is 404', async () => {
    await expect(service.revoke('00000000-0000-4000-8000-000000000000')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('lists every key without the key or its hash', async () => {
    const a = await service.create({ name: 'a', scopes: ['admin'] });
    await service.create({ name: 'b', scopes: ['alerts:write'] });
    const listed = await service.list();
    expect(listed.map((k) => k.name)).toEqual(['a', 'b']);
    expect(Object.keys(listed[0]).sort()).toEqual(
      ['constraint', 'created_at', 'expires_at', 'id', 'name', 'revoked_at', 'scopes'].sort(),
    );
    expect(JSON.stringify(listed)).not.toContain(a.key);
    expect(JSON.stringify(listed)).not.toContain(hashApiKey(a.key));
  });

  it('refuses a name already taken (also when the database decides a race) with 409', async () => {
    await service.create({ name: 'taken', scopes: ['admin'] });
    await expect(service.create({ name: 'taken', scopes: ['admin'] })).rejects.toBeInstanceOf(ConflictError);
    // Another writer took the name after this service loaded: the unique index refuses it.
    repository.rows.push({ ...repository.rows[0], id: 'x', name: 'raced', keyHash: 'h' });
    await expect(service.create({ name: 'raced', scopes: ['admin'] })).rejects.toBeInstanceOf(ConflictError);
  });

  it.each([
    ['no scope', { scopes: [] }],
    ['an unknown scope', { scopes: ['alerts:write', 'root'] }],
    ['an expiry that is not RFC 3339', { scopes: ['admin'], expires_at: 'tomorrow' }],
    ['an expiry in the past', { scopes: ['admin'], expires_at: '2026-03-01T11:59:59Z' }],
    ['an expiry now', { scopes: ['admin'], expires_at: '2026-03-01T12:00:00Z' }],
  ])('refuses %s with 400', async (_what, input) => {
    await expect(service.create({ name: 'k', ...input })).rejects.toBeInstanceOf(ValidationError);
    expect(repository.rows).toHaveLength(0);
  });

  it('loads the stored keys at bootstrap, so that they authenticate after a restart', async () => {
    const { key } = await service.create({ name: 'kept', scopes: ['admin'] });
    const restarted = new ApiKeysService(asRepository(new InMemoryApiKeysRepository(repository.rows)), clock);
    expect(failureOf(() => restarted.authenticate(key))).toBe(AuthFailure.Unknown);
    await restarted.onApplicationBootstrap();
    expect(restarted.authenticate(key).name).toBe('kept');
  });
});
