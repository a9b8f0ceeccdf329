import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { eventually } from './eventually';

/** A port nothing listens on right now (the kernel's choice, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits for the exit. */
  stop(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs the real server (src/main.ts, transpiled on the fly) as a child process on 127.0.0.1 and a free port, and
 * resolves once `/health/ready` answers 200. `env` is added to the test's environment (logs silenced, the open
 * protocol, no HTTP rate limit unless given). Kill it in `afterEach` if a test failed before stopping it.
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['-r', require.resolve('ts-node/register/transpile-only'), join(__dirname, '../../src/main.ts')],
    {
      env: {
        ...process.env,
        TS_NODE_PROJECT: join(__dirname, '../../tsconfig.json'),
        LOG_LEVEL: 'silent',
        AUTH_MODE: 'none',
        HTTP_RATE_LIMIT_PER_SECOND: '0',
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: 'ignore',
    },
  );
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  let ended = false;
  void exited.then(() => (ended = true));
  await eventually(
    async () => {
      if (ended) throw new Error('the server process exited at start');
      try {
        return (await fetch(`${baseUrl}/health/ready`)).status === 200;
      } catch {
        return false;
      }
    },
    // ts-node compiles the whole server at each start: about 8 s on an idle 2-core machine, 25 s measured under load.
    60_000,
    'the server process to be ready',
  );
  return {
    child,
    baseUrl,
    exited,
    stop: (signal) => {
      if (!ended) child.kill(signal);
      return exited;
    },
  };
}
