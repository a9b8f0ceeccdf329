import Database from 'better-sqlite3';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alertBody } from './support/fixtures';
import { eventually } from './support/eventually';
import { serverArgs } from './support/server-process';

/** A port nothing listens on right now (the kernel's choice, released at once). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

type Outcome = { alertId: string } | { error: string };

/** POSTs one alert over `agent`; never rejects. */
function postAlert(port: number, agent: Agent): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = JSON.stringify(alertBody());
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/alerts',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => {
          if (res.statusCode === 200) {
            resolve({ alertId: (JSON.parse(text) as { alert_id: string }).alert_id });
          } else resolve({ error: `HTTP ${res.statusCode}` });
        });
        res.on('error', (error) =>
          resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }),
        );
      },
    );
    req.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
    req.end(body);
  });
}

describe('stopping the real server process under keep-alive load', () => {
  let child: ChildProcess | undefined;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-sigterm-'));
  });

  afterEach(() => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Starts src/main.ts on a fresh SQLite file, keeps 16 keep-alive clients posting alerts in a closed loop, sends
   * `signal` once 200 were answered, and returns what the clients saw and how the process ended.
   */
  async function runUntilSignal(signal: NodeJS.Signals) {
    const port = await freePort();
    const dbPath = join(dir, 'incidents.db');
    child = spawn(process.execPath, serverArgs(), {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: `file:${dbPath}`,
        LOG_LEVEL: 'silent',
        AUTH_MODE: 'none',
        HTTP_RATE_LIMIT_PER_SECOND: '0',
      },
      stdio: 'ignore',
    });
    const server = child;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      server.once('exit', (code, exitSignal) => resolve({ code, signal: exitSignal })),
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    await eventually(async () => 'alertId' in (await postAlert(port, agent)), 20_000, 'the server to start');

    const outcomes: Outcome[] = [];
    let stopping = false;
    const loops = Array.from({ length: 16 }, async () => {
      for (;;) {
        const outcome = await postAlert(port, agent);
        outcomes.push(outcome);
        if ('error' in outcome && stopping) return;
      }
    });
    await eventually(() => outcomes.length >= 200, 20_000, '200 answered alerts');
    stopping = true;
    server.kill(signal);
    await Promise.all(loops);
    const exit = await exited;
    agent.destroy();
    return {
      exit,
      errors: outcomes.flatMap((o) => ('error' in o ? [o.error] : [])),
      acknowledged: outcomes.flatMap((o) => ('alertId' in o ? [o.alertId] : [])),
      storedAlertIds: () => {
        const db = new Database(dbPath, { readonly: true });
        try {
          return new Set(
            (db.prepare('SELECT id FROM alerts').all() as { id: string }[]).map((row) => row.id),
          );
        } finally {
          db.close();
        }
      },
    };
  }

  it('on SIGTERM answers or refuses every request (no reset), exits on the signal, and has stored every acknowledged alert', async () => {
    const run = await runUntilSignal('SIGTERM');
    // Nest closes the application, then re-raises the signal so that the exit status says what stopped it.
    expect(run.exit).toEqual({ code: null, signal: 'SIGTERM' });
    // Once the listener has closed, a new connection is refused; a request already sent is never cut off.
    expect(run.errors.filter((e) => e !== 'ECONNREFUSED')).toEqual([]);
    expect(run.acknowledged.length).toBeGreaterThanOrEqual(200);
    const stored = run.storedAlertIds();
    expect(run.acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });

  it('on kill -9 loses no acknowledged alert: an answer is only sent after its commit', async () => {
    const run = await runUntilSignal('SIGKILL');
    expect(run.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(run.acknowledged.length).toBeGreaterThanOrEqual(200);
    const stored = run.storedAlertIds();
    expect(run.acknowledged.filter((id) => !stored.has(id))).toEqual([]);
  });
});
