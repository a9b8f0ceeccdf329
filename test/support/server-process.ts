import { ChildProcess, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { eventually } from './eventually';

const ROOT = join(__dirname, '../..');
const BUILT_MAIN = join(ROOT, 'dist/main.js');

/** The newest modification time of the files under `dir` (ms). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

let builtIsCurrent: boolean | undefined;

/**
 * The node arguments that run the server: the build (`dist/main.js`) when it is newer than every source file, as
 * after `npm run build` (CI builds before testing), else src/main.ts transpiled on the fly (several seconds per start
 * on a busy machine).
 */
export function serverArgs(): string[] {
  if (builtIsCurrent === undefined) {
    try {
      const newestSource = Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'protocol/src')));
      builtIsCurrent = statSync(BUILT_MAIN).mtimeMs >= newestSource;
    } catch {
      builtIsCurrent = false;
    }
  }
  return builtIsCurrent
    ? [BUILT_MAIN]
    : ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'src/main.ts')];
}

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
 * Runs the real server (src/main.ts, transpiled on the fly) as a child process on 127.0.0.1 and a free port (or
 * `options.port`, to restart a server where its clients expect it), and resolves once `/health/ready` answers 200.
 * `env` is added to the test's environment (logs silenced, the open protocol, no HTTP rate limit unless given). Kill
 * it in `afterEach` if a test failed before stopping it.
 */
export async function startServerProcess(
  env: Record<string, string>,
  options: { port?: number } = {},
): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, serverArgs(), {
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
  });
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
