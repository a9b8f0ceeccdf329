// The servers under test: the product (`node dist/main.js` with a fresh SQLite file) and the reference variants.
// Each scenario gets a freshly started server, so memory and CPU figures are not polluted by the previous one.

import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort, sleep, spawnWithFdLimit } from './proc.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REFERENCE = fileURLToPath(new URL('../reference/server.mjs', import.meta.url));
const INGEST_REFERENCE = fileURLToPath(new URL('../reference/ingest-server.mjs', import.meta.url));
/** PostgreSQL server of `+pg` targets (a fresh database per scenario, dropped after; cluster.mjs has its own). */
export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** Runs one SQL statement on the PostgreSQL server's `postgres` database (psql). */
export function psql(sql) {
  execFileSync('psql', [`${PG_URL}/postgres`, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { stdio: 'pipe' });
}

/**
 * Target names: `product`, `ref-send`, `ref-coalesce`, `ref-cork`, each optionally suffixed `+deflate`
 * (permessage-deflate offered by the clients and enabled on the server) and/or `+auth` (the product runs with
 * AUTH_MODE=required and an HS256 secret; every POST and WebSocket upgrade carries the run's JWT, which a
 * reference server then verifies the same way: once, then from a cache); `product+pg`: the product on a fresh
 * PostgreSQL database (BENCH_PG_URL) instead of SQLite; `ref-ingest`: the durable-ingestion reference
 * (reference/ingest-server.mjs, HTTP only: the ingestion scenarios), which with `+auth` verifies the JWT.
 */
export function parseTarget(name) {
  const [base, ...flags] = name.split('+');
  const unknown = flags.filter((f) => f !== 'deflate' && f !== 'auth' && f !== 'pg');
  const deflate = flags.includes('deflate');
  const auth = flags.includes('auth');
  const pg = flags.includes('pg');
  if (unknown.length === 0) {
    if (base === 'product') return { name, kind: 'product', deflate, auth, pg };
    if (base === 'ref-ingest' && !deflate && !pg)
      return { name, kind: 'ingest-reference', deflate, auth, pg };
    const mode = /^ref-(send|coalesce|cork)$/.exec(base)?.[1];
    if (mode && !pg) return { name, kind: 'reference', mode, deflate, auth, pg };
  }
  throw new Error(
    `unknown target ${name} (product, ref-send, ref-coalesce, ref-cork, optionally +deflate and/or +auth; ` +
      'product+pg; ref-ingest, optionally +auth)',
  );
}

/**
 * The run's credentials for `+auth` targets: a random 48-character HS256 secret and ONE JWT signed with it
 * (`sub: bench`, `scope: alerts:write stream:read`, valid 7 days), minted with node:crypto (RFC 7519/7515).
 */
export function mintBenchAuth(nowMs = Date.now()) {
  const secret = randomBytes(36).toString('base64url'); // 48 characters
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const iat = Math.floor(nowMs / 1000);
  const signingInput = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    sub: 'bench',
    scope: 'alerts:write stream:read',
    iat,
    exp: iat + 7 * 24 * 3600,
  })}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return { secret, token: `${signingInput}.${signature}` };
}

/**
 * Starts a target and waits until it answers on HTTP and greets a WebSocket client. Returns a handle with
 * `pid`, `port`, `stop()`, or throws with the server's log tail when it does not come up.
 */
export async function startServer(
  target,
  {
    runId,
    maxConnections,
    cpuProfDir,
    productEnv = {},
    referenceArgs = [],
    productDir = REPO_ROOT,
    needsWebSocket = true,
    track,
    auth = null,
    heartbeatMs = null,
  },
) {
  if (target.auth && !auth) throw new Error(`${target.name}: no credentials minted for the run`);
  if (target.kind === 'ingest-reference' && needsWebSocket) {
    throw new Error(`${target.name} has no WebSocket: it runs the ingestion scenarios (d0, dbatch) only`);
  }
  const token = target.auth ? auth.token : null;
  const port = await freePort();
  const logDir = path.join(tmpdir(), 'bench-logs');
  mkdirSync(logDir, { recursive: true });
  const logPath = path.join(logDir, `${runId}-${target.name.replace(/[^a-z0-9-]/gi, '_')}-${port}.log`);
  const logFd = openSync(logPath, 'w');
  const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  let child;
  let dbPath = null;
  let pgDatabase = null;
  if (target.kind === 'product') {
    const main = path.join(productDir, 'dist', 'main.js');
    if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (or pass --build)`);
    dbPath = path.join(tmpdir(), `bench-${runId}-${port}.db`);
    let databaseUrl = `file:${dbPath}`;
    if (target.pg) {
      pgDatabase = `bench_${String(runId)
        .replace(/[^a-z0-9]/gi, '_')
        .toLowerCase()}_${port}`;
      psql(`CREATE DATABASE ${pgDatabase}`);
      databaseUrl = `${PG_URL}/${pgDatabase}`;
    }
    child = spawnWithFdLimit(process.execPath, [...nodeArgs, main], {
      cwd: productDir,
      stdio: ['ignore', logFd, logFd],
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        LOG_LEVEL: 'warn',
        WS_MAX_CONNECTIONS: String(maxConnections),
        // Every subscriber of the bench connects from this one machine.
        WS_MAX_CONNECTIONS_PER_IP: String(maxConnections),
        WS_ENABLE_COMPRESSION: String(target.deflate),
        // The bench is one HTTP client standing for many alert sources: the per-client limit would cap (d).
        HTTP_RATE_LIMIT_PER_SECOND: '1000000',
        // Measured with the original's open protocol until the generator sends credentials (issue 12, then 17).
        AUTH_MODE: 'none',
        // `+auth`: authentication as shipped (contract section 6), with the run's HS256 secret; the one token is
        // the one alert source, so the per-credential ingestion limit is lifted like the per-client one above.
        ...(target.auth
          ? { AUTH_MODE: 'required', AUTH_JWT_SECRET: auth.secret, INGEST_RATE_LIMIT_PER_KEY: '1000000' }
          : {}),
        // A scenario that sets the heartbeat (idle) gives the product and the reference the same period.
        ...(heartbeatMs ? { WS_HEARTBEAT_INTERVAL: String(heartbeatMs / 1000) } : {}),
        ...productEnv,
      },
    });
  } else if (target.kind === 'ingest-reference') {
    dbPath = path.join(tmpdir(), `bench-${runId}-${port}-ref.db`);
    child = spawnWithFdLimit(
      process.execPath,
      [...nodeArgs, INGEST_REFERENCE, '--port', String(port), '--db', dbPath],
      {
        cwd: REPO_ROOT,
        stdio: ['ignore', logFd, logFd],
        env: { ...process.env, ...(target.auth ? { BENCH_REF_JWT_SECRET: auth.secret } : {}) },
      },
    );
  } else {
    const args = [...nodeArgs, REFERENCE, '--port', String(port), '--mode', target.mode];
    // The product heartbeats every connection (WS_HEARTBEAT_INTERVAL, 30 s by default, or as `--env` sets it): so
    // does the reference, with the same period.
    const productPeriodS = Number(productEnv.WS_HEARTBEAT_INTERVAL);
    const periodMs = heartbeatMs ?? (productPeriodS > 0 ? productPeriodS * 1000 : 30_000);
    args.push('--heartbeat-ms', String(periodMs), ...referenceArgs);
    if (target.deflate) args.push('--deflate');
    child = spawnWithFdLimit(process.execPath, args, {
      cwd: REPO_ROOT,
      stdio: ['ignore', logFd, logFd],
      // `+auth`: the reference verifies the run's token (cached after its first use), as the product does.
      env: { ...process.env, ...(target.auth ? { BENCH_REF_JWT_SECRET: auth.secret } : {}) },
    });
  }
  closeSync(logFd);
  track?.(child);
  let exited = null;
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );
  const logTail = () => {
    try {
      return readFileSync(logPath, 'utf8').split('\n').slice(-20).join('\n');
    } catch {
      return '';
    }
  };
  const handle = {
    pid: child.pid,
    port,
    logPath,
    logTail,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      if (dbPath) for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
      if (pgDatabase) {
        try {
          psql(`DROP DATABASE IF EXISTS ${pgDatabase} WITH (FORCE)`);
        } catch {
          // left behind: named bench_<run>_<port>
        }
        pgDatabase = null;
      }
    },
  };
  try {
    await waitReady(handle, target, needsWebSocket, 30_000, token);
  } catch (error) {
    await handle.stop();
    throw new Error(`${target.name} did not start: ${error.message}\n--- ${logPath}\n${logTail()}`);
  }
  return handle;
}

async function waitReady(handle, target, needsWebSocket, timeoutMs, token) {
  const deadline = Date.now() + timeoutMs;
  const healthPath = target.kind === 'product' ? '/health/live' : '/health';
  for (;;) {
    if (handle.exited) throw new Error(`exited (${handle.exited.code ?? handle.exited.signal})`);
    const status = await httpStatus(handle.port, 'GET', healthPath).catch(() => null);
    if (status !== null && status < 500) break;
    if (Date.now() > deadline) throw new Error(`no answer on ${healthPath} after ${timeoutMs} ms`);
    await sleep(100);
  }
  // The endpoints the bench needs: an empty alert must be refused with 400, not 404 (route missing).
  const alertStatus = await httpStatus(handle.port, 'POST', '/v1/alerts', '{}', token);
  if (alertStatus === 404) throw new Error('POST /v1/alerts answers 404 (not implemented yet?)');
  if (alertStatus === 401 || alertStatus === 403) {
    throw new Error(
      `POST /v1/alerts answers ${alertStatus} ${token ? "to the run's JWT" : 'without a credential (AUTH_MODE?)'}`,
    );
  }
  if (needsWebSocket) await probeWebSocket(handle.port, target.deflate, token);
}

/** The headers that carry the run's token, or none. */
export function authHeaders(token) {
  return token ? { authorization: `Bearer ${token}` } : {};
}

function httpStatus(port, method, urlPath, body, token) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method,
        headers: { 'content-type': 'application/json', ...authHeaders(token) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

function probeWebSocket(port, deflate, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, {
      perMessageDeflate: deflate,
      headers: authHeaders(token),
    });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no welcome frame on /ws within 5 s'));
    }, 5000);
    ws.on('message', (data) => {
      clearTimeout(timer);
      ws.terminate();
      const message = JSON.parse(data.toString());
      if (message.type === 'welcome') resolve();
      else reject(new Error(`first frame on /ws is ${data.toString().slice(0, 200)}`));
    });
    ws.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`/ws: ${error.message}`));
    });
  });
}
