import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Runs src/main.ts (transpiled on the fly) with the given environment; resolves with its exit code and stderr. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', join(__dirname, '../src/main.ts')],
      {
        env: { ...process.env, LOG_LEVEL: 'silent', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
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
  it.each([
    ['PORT', 'eighty'],
    ['WS_MAX_CONNECTIONS', '-5'],
    ['DATABASE_URL', 'mysql://nope'],
  ])('stops with exit code 1 and a message naming %s', async (key, value) => {
    const { code, stderr } = await runMain({ [key]: value });
    expect(code).toBe(1);
    expect(stderr).toContain(key);
    expect(stderr).toContain('Invalid configuration');
  });
});
