import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { freePort } from './support/server-process';
import { startTestApp, type TestApp } from './support/test-app';

const ROOT = join(__dirname, '..');
const BUILT_CLI = join(ROOT, 'dist/cli/main.js');

/** The newest modification time of the files under `dir` (ms). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * `node dist/cli/main.js` when the build is newer than src/cli (as after `npm run build`, which CI runs first),
 * else the sources transpiled on the fly.
 */
function cliArgs(): string[] {
  try {
    if (statSync(BUILT_CLI).mtimeMs >= newestMtime(join(ROOT, 'src/cli'))) return [BUILT_CLI];
  } catch {
    // Not built: run the sources.
  }
  return ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'src/cli/main.ts')];
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of every run: none of the caller's LLM_IM_* settings, no colour. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') };
  delete env.LLM_IM_URL;
  delete env.LLM_IM_TOKEN;
  delete env.NO_COLOR;
  return { ...env, ...extra };
}

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [...cliArgs(), ...args], { env: cliEnv(env), stdio: 'pipe' });
}

/** Runs `llm-im args...` to its end (at most 20 s). */
function llmIm(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const child = start(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`llm-im ${args.join(' ')} did not end: ${stdout} ${stderr}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const alertArgs = (title: string, severity = 'P1'): string[] => [
  'alert',
  '--title',
  title,
  '--severity',
  severity,
  '--source',
  'cli-e2e',
  '--labels',
  'env=prod,team=db',
];

describe('llm-im CLI against the real server', () => {
  let t: TestApp & { dir: string };

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('alert prints the ack as JSON and exits 0', async () => {
    const run = await llmIm([...alertArgs('CLI alert'), '--url', t.baseUrl, '--description', 'from the CLI']);
    expect(run.code).toBe(0);
    const ack = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(ack).toMatchObject({
      status: 'Accepted',
      alert_id: expect.any(String),
      incident_id: expect.any(String),
    });
    const incident = await (await fetch(`${t.baseUrl}/v1/incidents/${ack.incident_id as string}`)).json();
    expect(incident).toMatchObject({
      title: 'CLI alert',
      severity: 'P1',
      labels: { env: 'prod', team: 'db' },
    });
  });

  it('takes the server from LLM_IM_URL', async () => {
    const run = await llmIm(alertArgs('from the environment'), { LLM_IM_URL: t.baseUrl });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'Accepted' });
  });

  it.each([
    ['a missing required flag', ['alert', '--title', 'x', '--url', 'http://127.0.0.1:9']],
    ['an unknown flag', ['tail', '--bogus']],
    ['a bad severity', ['tail', '--severities', 'P9']],
    ['a bad label', ['alert', '--title', 'x', '--severity', 'P1', '--source', 's', '--labels', 'novalue']],
    ['an unknown command', ['frobnicate']],
    ['no command', []],
    ['a missing incident id', ['incidents', 'ack']],
  ])('exits 2 on a usage error: %s', async (_what, args) => {
    const run = await llmIm(args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/llm-im|Usage/);
  });

  it('answers --help on the root and on every command with exit 0 and the exit codes', async () => {
    for (const args of [['--help'], ['tail', '--help'], ['alert', '-h'], ['incidents', '--help']]) {
      const run = await llmIm(args);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: llm-im/);
      expect(run.stdout).toContain('Exit codes:');
    }
  });

  it('exits 3 when the server cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const alert = await llmIm([...alertArgs('nowhere'), '--url', url]);
    expect(alert.code).toBe(3);
    const tail = await llmIm(['tail', '--url', url]);
    expect(tail.code).toBe(3);
    expect(tail.stderr).toContain('cannot connect');
  });

  it('tail --json prints each event as one JSON line, and exits 130 on SIGINT', async () => {
    const child = start(['tail', '--json', '--severities', 'P0', '--url', t.baseUrl]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually(() => stderr.includes('llm-im: live'), 20_000, 'tail to be live');
      await llmIm([...alertArgs('filtered out', 'P3'), '--url', t.baseUrl]);
      const ack = JSON.parse((await llmIm([...alertArgs('tailed', 'P0'), '--url', t.baseUrl])).stdout);
      await eventually(() => stdout.split('\n').length > 3, 10_000, 'three event lines');
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines.map((line) => line.event.event_type)).toEqual([
        'alert_received',
        'alert_converted',
        'incident_created',
      ]);
      expect(lines[2]).toMatchObject({ type: 'event', sequence: expect.any(Number) });
      expect(lines[2].event.incident.id).toBe(ack.incident_id);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('tail prints human-readable lines, without colour when stdout is not a terminal', async () => {
    const child = start(['tail', '--event-types', 'incident_created', '--url', t.baseUrl]);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually(() => stderr.includes('llm-im: live'), 20_000, 'tail to be live');
      const ack = JSON.parse((await llmIm([...alertArgs('human line', 'P2'), '--url', t.baseUrl])).stdout);
      await eventually(() => stdout.includes('\n'), 10_000, 'one line');
      expect(stdout).toMatch(
        new RegExp(
          `^\\S+Z {2}P2 {2}incident_created +human line \\[Detected\\] \\(${ack.incident_id}\\)\\n$`,
        ),
      );
      expect(stdout).not.toContain('\u001b[');
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('incidents ls, ack, resolve and close', async () => {
    const ack = JSON.parse((await llmIm([...alertArgs('lifecycle by CLI'), '--url', t.baseUrl])).stdout);
    const id = ack.incident_id as string;
    const url = ['--url', t.baseUrl];

    const ls = await llmIm([
      'incidents',
      'ls',
      '--state',
      'Detected',
      '--json',
      '--page-size',
      '100',
      ...url,
    ]);
    expect(ls.code).toBe(0);
    expect(JSON.parse(ls.stdout).incidents.map((i: { id: string }) => i.id)).toContain(id);
    const human = await llmIm(['incidents', 'ls', '--severity', 'P1', ...url]);
    expect(human.stdout).toMatch(new RegExp(`^${id} {2}P1 {2}Detected .*lifecycle by CLI$`, 'm'));

    const acked = await llmIm(['incidents', 'ack', id, '--json', ...url]);
    expect(acked.code).toBe(0);
    expect(JSON.parse(acked.stdout)).toMatchObject({ id, state: 'Triaged' });
    const resolved = await llmIm(['incidents', 'resolve', id, '--notes', 'disk cleaned', '--json', ...url]);
    expect(resolved.code).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({
      state: 'Resolved',
      resolution: { notes: 'disk cleaned', resolution_method: 'Manual' },
    });
    const closed = await llmIm(['incidents', 'close', id, ...url]);
    expect(closed.code).toBe(0);
    expect(closed.stdout).toMatch(new RegExp(`^${id} {2}P1 {2}Closed `));

    const again = await llmIm(['incidents', 'ack', id, ...url]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409 INVALID_STATE_TRANSITION');
  });
});

describe('llm-im CLI with authentication required', () => {
  let t: TestApp & { dir: string };
  let adminKey: string;

  beforeAll(async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'llm-im-cli-key-'));
    t = await startTestApp({ AUTH_MODE: 'required', ADMIN_KEY_FILE: join(keyDir, 'admin.key') });
    adminKey = readFileSync(join(keyDir, 'admin.key'), 'utf8').trim();
    rmSync(keyDir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('exits 4 on a wrong token, on REST and on the stream', async () => {
    const alert = await llmIm([...alertArgs('refused'), '--url', t.baseUrl, '--token', 'wrong']);
    expect(alert.code).toBe(4);
    expect(alert.stderr).toContain('401 AUTHENTICATION_ERROR');
    const tail = await llmIm(['tail', '--url', t.baseUrl], { LLM_IM_TOKEN: 'wrong' });
    expect(tail.code).toBe(4);
    const ls = await llmIm(['incidents', 'ls', '--url', t.baseUrl]);
    expect(ls.code).toBe(4);
  });

  it('works with the right token from LLM_IM_TOKEN', async () => {
    const run = await llmIm([...alertArgs('allowed'), '--url', t.baseUrl], { LLM_IM_TOKEN: adminKey });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'Accepted' });
  });
});
