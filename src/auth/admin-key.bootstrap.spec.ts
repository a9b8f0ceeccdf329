import { Logger } from '@nestjs/common';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryApiKeysRepository, asRepository } from '../../test/support/in-memory-api-keys.repository';
import { ManualClock } from '../../test/support/manual-clock';
import { loadConfig } from '../config/load-config';
import { AdminKeyBootstrap } from './admin-key.bootstrap';
import { ApiKeysService } from './api-keys.service';
import { CredentialKind } from './principal';

describe('AdminKeyBootstrap', () => {
  let dir: string;
  let keyFile: string;
  let repository: InMemoryApiKeysRepository;
  let apiKeys: ApiKeysService;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-admin-key-'));
    keyFile = join(dir, 'nested', 'dir', 'admin.key');
    repository = new InMemoryApiKeysRepository();
    apiKeys = new ApiKeysService(asRepository(repository), new ManualClock());
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation();
  });

  afterEach(() => {
    warn.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  const boot = (env: Record<string, string> = {}): Promise<void> =>
    new AdminKeyBootstrap(loadConfig({ ADMIN_KEY_FILE: keyFile, ...env }), apiKeys).onApplicationBootstrap();

  it('creates an admin key, writes it to ADMIN_KEY_FILE with mode 0600, and logs where, not the key', async () => {
    await boot();
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(apiKeys.authenticate(key)).toMatchObject({
      kind: CredentialKind.ApiKey,
      name: 'admin',
      scopes: new Set(['admin']),
      expiresAt: null,
    });
    expect(repository.rows).toHaveLength(1);
    const logged = warn.mock.calls.map((args: unknown[]) => String(args[0])).join('\n');
    expect(logged).toContain(keyFile);
    expect(logged).not.toContain(key);
  });

  it('replaces a file left from before with a new one that only its owner may read', async () => {
    mkdirSync(join(dir, 'nested', 'dir'), { recursive: true });
    writeFileSync(keyFile, 'stale');
    chmodSync(keyFile, 0o644);
    await boot();
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(apiKeys.authenticate(readFileSync(keyFile, 'utf8').trim()).name).toBe('admin');
  });

  it('does nothing once a key is stored', async () => {
    await apiKeys.create({ name: 'existing', scopes: ['alerts:write'] });
    await boot();
    expect(existsSync(keyFile)).toBe(false);
    expect(repository.rows).toHaveLength(1);
  });

  it.each([
    ['AUTH_MODE=none', { AUTH_MODE: 'none' }],
    ['a JWT secret', { AUTH_JWT_SECRET: 's'.repeat(32) }],
  ])('does nothing with %s', async (_what, env) => {
    await boot(env);
    expect(existsSync(keyFile)).toBe(false);
    expect(repository.rows).toHaveLength(0);
  });
});
