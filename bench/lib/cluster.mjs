// The cluster scenario (issue 15): the product on PostgreSQL alone, then two nodes on one PostgreSQL database and
// one Redis, the publisher on node A and the subscribers on node B; fan-out latency and ingestion of both set-ups.

import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { AlertPoster } from './alerts.mjs';
import { cpuFigures, round, snapshot } from './measure.mjs';
import { freePort, readRss, sleep, spawnWithFdLimit } from './proc.mjs';
import { subscriptionFilters } from './protocol.mjs';
import { startServer } from './servers.mjs';
import { ClientPool } from './workers.mjs';

const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://root@127.0.0.1:5432';
const REDIS_SERVER = process.env.BENCH_REDIS_SERVER ?? '/usr/bin/redis-server';

function psql(sql) {
  execFileSync('psql', [`${PG_URL}/postgres`, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], { stdio: 'pipe' });
}

async function startRedis(ctx) {
  const port = await freePort();
  const child = spawnWithFdLimit(
    REDIS_SERVER,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  ctx.track?.(child);
  const exit = new Promise((resolve) => child.once('exit', resolve));
  for (let i = 0; i < 50; i++) {
    try {
      execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
      break;
    } catch {
      await sleep(100);
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exit;
    },
  };
}

/** Runs the whole scenario against one product target; fills `record.phases`. */
export async function runCluster(scenario, target, ctx) {
  const record = { scenario: scenario.id, kind: scenario.kind, target: target.name, ok: false, phases: {} };
  const dbBase = `bench_cluster_${process.pid}_${Date.now() % 100000}`;
  const databases = [];
  const servers = [];
  let redis;
  const token = target.auth ? ctx.auth.token : null;
  const start = (name, env) =>
    startServer(target, {
      auth: ctx.auth,
      runId: `${ctx.runId}-${name}`,
      maxConnections: Math.max(20000, scenario.clients * 2),
      cpuProfDir: ctx.cpuProfDir,
      productEnv: { ...ctx.productEnv, NODE_NAME: name, ...env },
      productDir: ctx.productDir,
      track: ctx.track,
    }).then((s) => {
      servers.push(s);
      return s;
    });
  const createDb = (suffix) => {
    const name = `${dbBase}_${suffix}`;
    psql(`CREATE DATABASE ${name}`);
    databases.push(name);
    return `${PG_URL}/${name}`;
  };
  const stopAll = async () => {
    while (servers.length > 0)
      await servers
        .pop()
        .stop()
        .catch(() => {});
  };
  try {
    // (1) One node on PostgreSQL, without Redis: fan-out, then ingestion.
    const single = await start('single', { DATABASE_URL: createDb('single') });
    record.phases.singleFanout = await fanoutPhase(scenario, single, single, [], token, ctx, 'single');
    record.phases.singleIngest = await ingestPhase(scenario, [single], token, ctx, 'single');
    await stopAll();

    // (2) Two nodes, one database, one Redis: alerts posted to A, subscribers on B; then ingestion over both.
    redis = await startRedis(ctx);
    const url = createDb('two');
    const a = await start('node-a', { DATABASE_URL: url, REDIS_URL: redis.url });
    const b = await start('node-b', { DATABASE_URL: url, REDIS_URL: redis.url });
    record.phases.twoFanout = await fanoutPhase(scenario, a, b, [a], token, ctx, 'A→B');
    record.phases.twoIngest = await ingestPhase(scenario, [a, b], token, ctx, 'A+B');
    record.ok = ['singleFanout', 'singleIngest', 'twoFanout', 'twoIngest'].every((k) => record.phases[k].ok);
    if (!record.ok) {
      record.error = Object.entries(record.phases)
        .filter(([, p]) => !p.ok)
        .map(([k, p]) => `${k}: ${p.error}`)
        .join('; ');
    }
    record.summary = summarize(record.phases);
  } catch (error) {
    record.error = String(error?.message ?? error);
  } finally {
    ctx.progress?.clear();
    await stopAll();
    await redis?.stop().catch(() => {});
    for (const name of databases) {
      try {
        psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } catch {
        // left behind: named bench_cluster_*
      }
    }
  }
  return record;
}

/**
 * `scenario.clients` subscribers on `subscriberNode`, `scenario.rate` alerts/s posted to `publisherNode`. The CPU of
 * the subscribers' node is the record's server CPU; `peers` (the publisher's node when it is another) are counted apart.
 */
async function fanoutPhase(scenario, publisherNode, subscriberNode, peers, token, ctx, label) {
  const { runLoad } = await import('./scenarios.mjs');
  const phase = {
    kind: 'fanout',
    id: `cluster ${label}`,
    rate: scenario.rate,
    durationS: scenario.durationS,
  };
  phase.warmupS = scenario.warmupS;
  const record = { target: label, ok: false, server: { pid: subscriberNode.pid } };
  let pool;
  let poster;
  try {
    pool = ClientPool.spawn(Math.min(ctx.workers, scenario.clients), ctx.track, ctx.clientsCpuProfDir);
    const started = performance.now();
    const conn = await pool.connect({
      url: `ws://127.0.0.1:${subscriberNode.port}/ws`,
      clients: scenario.clients,
      matching: scenario.matching,
      severity: 'P0',
      ...subscriptionFilters('P0', 'P1'),
      concurrency: ctx.connectConcurrency,
      deflate: false,
      client: ctx.client,
      token,
    });
    record.connect = {
      requested: scenario.clients,
      ok: conn.ok,
      matching: conn.matchingOk,
      failed: conn.failed,
      wallMs: round(performance.now() - started),
    };
    if (conn.ok === 0) throw new Error(`no client connected: ${JSON.stringify(conn.errors)}`);
    await sleep(1000);
    poster = new AlertPoster({ port: publisherNode.port, sockets: 16, runId: ctx.runId, token });
    await runLoad(phase, subscriberNode, pool, poster, record, ctx, peers);
    record.ok = true;
  } catch (error) {
    record.error = String(error?.message ?? error);
  } finally {
    ctx.progress?.clear();
    await pool?.close().catch(() => {});
    poster?.close();
  }
  return record;
}

/** Closed loop of `scenario.concurrency` requests in flight, split evenly over `nodes`; no subscribers. */
async function ingestPhase(scenario, nodes, token, ctx, label) {
  const record = { target: label, ok: false };
  const posters = nodes.map(
    (node, i) =>
      new AlertPoster({
        port: node.port,
        sockets: Math.ceil(scenario.concurrency / nodes.length),
        runId: `${ctx.runId}-ingest-${label}-${i}`,
        token,
      }),
  );
  const share = (i) =>
    Math.floor(((i + 1) * scenario.concurrency) / nodes.length) -
    Math.floor((i * scenario.concurrency) / nodes.length);
  const load = (durationMs, onTick) =>
    Promise.all(
      posters.map((poster, i) =>
        poster.closedLoop({
          concurrency: share(i),
          durationMs,
          duplicateShare: scenario.duplicateShare,
          onTick: i === 0 ? onTick : undefined,
        }),
      ),
    );
  try {
    await load(scenario.warmupS * 1000);
    await sleep(500);
    for (const poster of posters) poster.reset();
    const [first, ...rest] = nodes;
    const cpu0 = snapshot(first, null, [], rest);
    const started = performance.now();
    const tick = () => {
      const elapsed = (performance.now() - started) / 1000;
      const answered = posters.reduce((s, p) => s + p.accepted.length + p.duplicates, 0);
      ctx.progress?.update(
        `[cluster ingest ${label}] ${elapsed.toFixed(1)}/${scenario.durationS}s  ${(answered / Math.max(elapsed, 0.5)).toFixed(0)} alerts/s`,
      );
    };
    const results = await load(scenario.durationS * 1000, tick);
    const cpu1 = snapshot(first, null, [], rest);
    const answeredMs = Math.max(...results.map((r) => r.answeredMs));
    const accepted = posters.reduce((s, p) => s + p.accepted.length, 0);
    const duplicates = posters.reduce((s, p) => s + p.duplicates, 0);
    const errors = {};
    for (const p of posters) for (const [k, n] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + n;
    const latency = posters[0].latency;
    for (const p of posters.slice(1)) latency.merge(p.latency);
    record.alerts = {
      concurrency: scenario.concurrency,
      accepted,
      duplicates,
      errors,
      answeredPerSec: round(((accepted + duplicates) / answeredMs) * 1000),
      acceptedPerSec: round((accepted / answeredMs) * 1000),
      postLatencyMs: latency.summaryMs(),
    };
    record.cpu = cpuFigures(cpu0, cpu1, answeredMs, 0, accepted + duplicates);
    record.rssBytes = nodes.map((n) => readRss(n.pid));
    record.ok = true;
  } catch (error) {
    record.error = String(error?.message ?? error);
  } finally {
    ctx.progress?.clear();
    for (const poster of posters) poster.close();
  }
  return record;
}

/**
 * The figures of the issue. Node B only relays: its CPU per event is what reading a committed event after Redis's
 * message, from the log, and fanning it out to the subscribers cost. The broker hop's CPU per event is what the two
 * nodes together spend per event beyond the single node, which ingests and fans out the same events itself:
 * (A + B) − single, i.e. A's publish to Redis plus B's receive and log read (B's fan-out cancels the single node's).
 */
function summarize(p) {
  const s = p.singleFanout;
  const t = p.twoFanout;
  if (!s.ok || !t.ok) return null;
  const perAlert = (ms, n) => (n > 0 ? round((ms * 1000) / n) : null);
  const singleUsPerAlert = perAlert(s.cpu.serverMs, s.alerts.accepted);
  const bUsPerAlert = perAlert(t.cpu.serverMs, t.alerts.accepted);
  const aUsPerAlert = perAlert(t.cpu.peers[0].serverMs, t.alerts.accepted);
  return {
    singleP99Ms: s.latencyMs.p99,
    twoP99Ms: t.latencyMs.p99,
    p99Ratio: s.latencyMs.p99 > 0 ? round(t.latencyMs.p99 / s.latencyMs.p99) : null,
    singleUsPerAlert,
    singleUsPerDelivery: s.cpu.serverUsPerDelivery,
    nodeAUsPerAlert: aUsPerAlert,
    nodeBUsPerAlert: bUsPerAlert,
    nodeBUsPerDelivery: t.cpu.serverUsPerDelivery,
    hopUsPerAlert: round(aUsPerAlert + bUsPerAlert - singleUsPerAlert),
  };
}
