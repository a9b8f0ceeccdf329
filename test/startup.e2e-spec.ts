import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverArgs } from './support/server-process';

/**
 * Runs src/main.ts (transpiled on the fly) with the given environment, in `cwd` (where it reads `.env`); resolves
 * with its exit code and stderr.
 */
function runMain(
  env: Record<string, string>,
  cwd = process.cwd(),
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, serverArgs(), {
      cwd,
      // From another working directory ts-node would not find the project's tsconfig by itself.
      env: {
        ...process.env,
        TS_NODE_PROJECT: join(__dirname, '../tsconfig.json'),
        LOG_LEVEL: 'silent',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('main did not exit on invalid configuration'));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('startup with an invalid environment', () => {
  it.concurrent.each([
    ['PORT', 'eighty'],
    ['WS_MAX_CONNECTIONS', '-5'],
    ['DATABASE_URL', 'mysql://nope'],
  ])('stops with exit code 1 and a message naming %s', async (key, value) => {
    const { code, stderr } = await runMain({ [key]: value });
    expect(code).toBe(1);
    expect(stderr).toContain(key);
    expect(stderr).toContain('Invalid configuration');
  });

  it.concurrent('refuses REDIS_URL with a SQLite store, naming both variables', async () => {
    const { code, stderr } = await runMain({
      REDIS_URL: 'redis://127.0.0.1:6379',
      // Refused before anything is opened.
      DATABASE_URL: 'file:./data/never-opened.db',
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/REDIS_URL.*DATABASE_URL/);
  });
});

describe('startup with an invalid value in .env', () => {
  it.concurrent('stops with exit code 1 and the same message as for the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'llm-im-dotenv-'));
    try {
      writeFileSync(join(dir, '.env'), 'WS_HEARTBEAT_INTERVAL=often\n');
      const { code, stderr } = await runMain({}, dir);
      expect(code).toBe(1);
      expect(stderr).toContain('Invalid configuration');
      expect(stderr).toContain('WS_HEARTBEAT_INTERVAL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
