// The scenarios of issue 5 and how one is run against one target.

import { performance } from 'node:perf_hooks';
import { AlertPoster } from './alerts.mjs';
import { runCluster } from './cluster.mjs';
import { LIVE_FILTERS, ReplayRun } from './replay.mjs';
import { cpuFigures, round, snapshot } from './measure.mjs';
import { monotonicUs, readPeakRss, readRss, sleep } from './proc.mjs';
import { subscriptionFilters } from './protocol.mjs';
import { startServer } from './servers.mjs';
import { ClientPool } from './workers.mjs';

/**
 * Full-size definitions. `--scale` multiplies client counts, `--quick` shrinks clients and durations so that a
 * smoke run of one scenario takes well under a minute.
 */
export const SCENARIOS = {
  a: {
    kind: 'fanout',
    title: '(a) latency under light load: 5,000 clients, 50 % matching, 10 alerts/s',
    clients: 5000,
    matchShare: 0.5,
    rate: 10,
    durationS: 30,
  },
  b: {
    kind: 'fanout',
    title:
      '(b) throughput under a storm: 5,000 clients, 50 % matching, 100 alerts/s (250k deliveries/s offered)',
    clients: 5000,
    matchShare: 0.5,
    rate: 100,
    durationS: 20,
  },
  b10k: {
    kind: 'fanout',
    title:
      '(b10k) throughput under a storm: 10,000 clients, 50 % matching, 100 alerts/s (500k deliveries/s offered)',
    clients: 10000,
    matchShare: 0.5,
    rate: 100,
    durationS: 20,
  },
  c: {
    kind: 'idle',
    title: '(c) memory: 10,000 idle subscribed clients',
    clients: 10000,
    matchShare: 0.5,
    durationS: 5,
  },
  idle: {
    kind: 'heartbeat',
    title: '(idle) CPU of 10,000 idle subscribed clients, heartbeat every 30 s (the default)',
    clients: 10000,
    matchShare: 0.5,
    // The product's default WS_HEARTBEAT_INTERVAL; the reference pings the same way (--heartbeat-ms).
    heartbeatMs: 30_000,
    // Two whole heartbeat periods: every connection is heartbeated exactly twice in the window.
    durationS: 60,
    // The server's CPU with no connection, measured first, so that the per-connection figure can be net of it.
    baselineS: 10,
  },
  d0: {
    kind: 'ingest',
    title: '(d) ingestion alone, no subscribers: closed loop, 32 requests in flight, 10 % duplicates',
    clients: 0,
    matchShare: 0,
    concurrency: 32,
    duplicateShare: 0.1,
    durationS: 15,
  },
  d1k: {
    kind: 'ingest',
    title: '(d) ingestion with 1,000 subscribers (1 % matching): closed loop, 32 in flight, 10 % duplicates',
    clients: 1000,
    matchShare: 0.01,
    concurrency: 32,
    duplicateShare: 0.1,
    durationS: 15,
  },
  dbatch: {
    kind: 'ingest',
    title:
      '(dbatch) ingestion in batches of 100 (POST /v1/alerts/batch), no subscribers: closed loop, 8 batches in flight, 10 % duplicates',
    clients: 0,
    matchShare: 0,
    batchSize: 100,
    concurrency: 8,
    duplicateShare: 0.1,
    durationS: 15,
  },
  cluster: {
    kind: 'cluster',
    title:
      '(cluster) PostgreSQL: 1 node against 2 nodes + Redis (alerts to A, 1,000 subscribers on B), 100 alerts/s; ingestion',
    clients: 1000,
    matchShare: 1,
    rate: 100,
    durationS: 15,
    concurrency: 32,
    duplicateShare: 0.1,
  },
  replay: {
    kind: 'replay',
    title:
      '(replay) one client resumes a backlog of 100,000 events while 1,000 live clients get 100 alerts/s',
    clients: 1000,
    matchShare: 1,
    rate: 100,
    durationS: 20,
    backlog: 100_000,
    // The resuming client subscribes this far into the phase with the replay.
    replayAtS: 3,
    // The log is filled by a closed loop of new alerts with this many requests in flight.
    fillConcurrency: 32,
    liveFilter: 'all',
  },
};

/** The scenarios of issue 17's targets; `--scenario issue17` selects them all. */
export const ISSUE17_SCENARIOS = ['b', 'b10k', 'c', 'idle', 'd0', 'dbatch'];

/** `d` selects both ingestion variants, `issue17` the scenarios of issue 17's targets. */
export function expandScenarioIds(list) {
  return list
    .flatMap((id) => (id === 'd' ? ['d0', 'd1k'] : id === 'issue17' ? ISSUE17_SCENARIOS : [id]))
    .filter((id, i, all) => all.indexOf(id) === i);
}

/** Applies the CLI's scale, quick mode and overrides to a scenario definition. */
export function sizeScenario(id, options) {
  const base = SCENARIOS[id];
  if (!base) {
    throw new Error(
      `unknown scenario ${id} (a, b, b10k, c, idle, d, d0, d1k, dbatch, replay, cluster, issue17)`,
    );
  }
  const s = { id, ...base };
  const clientScale = options.scale ?? (options.quick ? 0.1 : 1);
  // d0 is defined by having no subscribers: sizes never give it any.
  s.clients = base.clients === 0 ? 0 : (options.clients ?? Math.round(base.clients * clientScale));
  if (options.matchShare !== undefined && s.kind !== 'ingest') s.matchShare = options.matchShare;
  if (options.rate !== undefined && (s.kind === 'fanout' || s.kind === 'replay')) s.rate = options.rate;
  if (options.duplicateShare !== undefined && s.kind === 'ingest') {
    s.duplicateShare = options.duplicateShare;
    s.title = s.title.replace(/\d+ % duplicates/, `${Math.round(s.duplicateShare * 100)} % duplicates`);
  }
  s.durationS =
    options.duration ??
    (options.quick ? Math.min(base.durationS, s.kind === 'idle' ? 1 : 3) : base.durationS);
  s.warmupS = options.quick ? 0.5 : 2;
  if (s.kind === 'heartbeat') {
    // Quick: a 1 s heartbeat on both servers, so that a 3 s smoke run still sees every connection heartbeated.
    if (options.quick) s.heartbeatMs = 1000;
    // `--env WS_HEARTBEAT_INTERVAL=S` sets the period of both servers.
    const period = Number(options.productEnv?.WS_HEARTBEAT_INTERVAL);
    if (period > 0) s.heartbeatMs = period * 1000;
    s.durationS = options.duration ?? (2 * s.heartbeatMs) / 1000;
    if (s.heartbeatMs !== base.heartbeatMs)
      s.title = s.title.replace('30 s (the default)', `${s.heartbeatMs / 1000} s`);
    s.baselineS = options.quick ? 1 : base.baselineS;
  }
  if (s.kind === 'replay') {
    s.matchShare = 1;
    s.backlog = options.backlog ?? (options.quick ? Math.round(base.backlog / 10) : base.backlog);
    s.replayAtS = Math.min(base.replayAtS, s.durationS / 4);
    if (options.liveFilter !== undefined) s.liveFilter = options.liveFilter;
    if (!(s.liveFilter in LIVE_FILTERS))
      throw new Error(`--live-filter is ${Object.keys(LIVE_FILTERS).join(' or ')}`);
    s.liveFilters = LIVE_FILTERS[s.liveFilter];
  }
  s.matching = Math.round(s.clients * s.matchShare);
  return s;
}

/** Runs one scenario against one target on a freshly started server; always stops the server and the clients. */
export async function runScenario(scenario, target, ctx) {
  if (scenario.kind === 'cluster') return runCluster(scenario, target, ctx);
  const record = { scenario: scenario.id, kind: scenario.kind, target: target.name, ok: false };
  let server;
  let pool;
  let poster;
  let replay;
  const token = target.auth ? ctx.auth.token : null;
  try {
    server = await startServer(target, {
      auth: ctx.auth,
      runId: ctx.runId,
      maxConnections: Math.max(20000, scenario.clients * 2),
      cpuProfDir: ctx.cpuProfDir,
      productEnv: ctx.productEnv,
      referenceArgs: ctx.referenceArgs,
      productDir: ctx.productDir,
      needsWebSocket: scenario.clients > 0,
      track: ctx.track,
      heartbeatMs: scenario.heartbeatMs ?? null,
    });
    await sleep(500);
    const rssIdle = readRss(server.pid);
    record.server = { pid: server.pid, rssIdleBytes: rssIdle };
    // The idle scenario: the server's own CPU with no connection, to be subtracted from the per-connection figure.
    if (scenario.kind === 'heartbeat')
      record.serverAlone = await measureBaseline(scenario, server, record, ctx);

    if (scenario.kind === 'replay') {
      if (target.kind !== 'product') throw new Error('the replay scenario needs the product (resume_from)');
      // The backlog goes into the log before the live clients connect.
      replay = new ReplayRun(scenario, server, ctx, token);
      poster = replay.poster;
      await replay.fill(record);
    }

    if (scenario.clients > 0) {
      pool = ClientPool.spawn(Math.min(ctx.workers, scenario.clients), ctx.track, ctx.clientsCpuProfDir);
      const started = performance.now();
      const conn = await pool.connect({
        url: `ws://127.0.0.1:${server.port}/ws`,
        clients: scenario.clients,
        matching: scenario.matching,
        severity: 'P0',
        ...(scenario.kind === 'replay'
          ? {
              matchingFilters: scenario.liveFilters,
              nonMatchingFilters: scenario.liveFilters,
              allEvents: scenario.liveFilter === 'all',
            }
          : subscriptionFilters('P0', 'P1')),
        concurrency: ctx.connectConcurrency,
        deflate: target.deflate,
        client: ctx.client,
        token,
      });
      const wallMs = performance.now() - started;
      record.connect = {
        requested: scenario.clients,
        ok: conn.ok,
        matching: conn.matchingOk,
        failed: conn.failed,
        errors: conn.errors,
        wallMs: round(wallMs),
        perSec: round((conn.ok / wallMs) * 1000),
        ...pick(conn.connectUs.summaryMs(), ['p50', 'p99', 'max']),
      };
      if (conn.ok === 0) throw new Error(`no client connected: ${JSON.stringify(conn.errors)}`);
      await sleep(1000);
      record.server.rssConnectedBytes = readRss(server.pid);
    }

    if (scenario.kind === 'idle') await runIdle(scenario, server, pool, record, ctx);
    else if (scenario.kind === 'heartbeat') await runHeartbeat(scenario, server, pool, record, ctx);
    else if (replay) await replay.run(pool, record);
    else {
      poster = new AlertPoster({
        port: server.port,
        sockets: scenario.kind === 'ingest' ? scenario.concurrency : 16,
        runId: ctx.runId,
        token,
        batchSize: scenario.batchSize ?? 1,
      });
      await runLoad(scenario, server, pool, poster, record, ctx);
    }
    const perClient =
      record.connect && record.server.rssConnectedBytes && rssIdle
        ? (record.server.rssConnectedBytes - rssIdle) / record.connect.ok
        : null;
    record.server.rssPerClientBytes = perClient === null ? null : Math.round(perClient);
    // The server's peak RSS over its whole life (start, connect, warm-up, measured phase).
    record.server.rssPeakBytes = readPeakRss(server.pid);
    record.ok = true;
  } catch (error) {
    record.error = String(error?.message ?? error);
  } finally {
    ctx.progress?.clear();
    await pool?.close().catch(() => {});
    await replay?.close().catch(() => {});
    poster?.close();
    if (server) {
      if (server.exited && !record.error) {
        record.ok = false;
        const { code, signal } = server.exited;
        record.error = `server exited during the run (${signal ?? `code ${code}`}; log ${server.logPath})`;
      }
      await server.stop().catch(() => {});
    }
  }
  return record;
}

async function runIdle(scenario, server, pool, record, ctx) {
  const cpu0 = snapshot(server, pool);
  const until = performance.now() + scenario.durationS * 1000;
  while (performance.now() < until) {
    ctx.progress?.update(`[${scenario.id} ${record.target}] holding ${record.connect.ok} idle clients`);
    await sleep(250);
  }
  const cpu1 = snapshot(server, pool);
  // Memory after the hold: the connection burst's garbage has had time to be collected.
  record.server.rssConnectedBytes = readRss(server.pid);
  record.cpu = cpuFigures(cpu0, cpu1, cpu1.wall - cpu0.wall, 0);
}

/** CPU of the freshly started server with no connection, over `baselineS`. */
async function measureBaseline(scenario, server, record, ctx) {
  const cpu0 = snapshot(server, null);
  const until = performance.now() + scenario.baselineS * 1000;
  while (performance.now() < until) {
    ctx.progress?.update(`[${scenario.id} ${record.target}] server alone, no connection`);
    await sleep(250);
  }
  const cpu1 = snapshot(server, null);
  const cpu = cpuFigures(cpu0, cpu1, cpu1.wall - cpu0.wall, 0);
  return { seconds: round((cpu1.wall - cpu0.wall) / 1000), serverMs: cpu.serverMs, serverPct: cpu.serverPct };
}

/**
 * The idle scenario: the clients hold their connections, answer pings and send nothing, for whole heartbeat
 * periods; the server's CPU over that window per connection per second, gross and net of the baseline.
 */
async function runHeartbeat(scenario, server, pool, record, ctx) {
  // First round: a connection is first heartbeated one period after it connected, and the server spreads a burst
  // of due connections over several ticks. The window starts once every client has had its first heartbeat, so
  // that it holds whole periods of the steady state: exactly two heartbeats per connection in two periods.
  await pool.start(0);
  const firstRoundStarted = performance.now();
  const firstRoundDeadline = firstRoundStarted + 2 * scenario.heartbeatMs + 30_000;
  while (performance.now() < firstRoundDeadline) {
    const { heartbeatClients } = pool.totals();
    if (heartbeatClients >= record.connect.ok) break;
    ctx.progress?.update(
      `[${scenario.id} ${record.target}] ${record.connect.ok} idle clients, waiting for the first heartbeat round: ` +
        `${heartbeatClients} heartbeated`,
    );
    await sleep(250);
  }
  const firstRound = {
    seconds: round((performance.now() - firstRoundStarted) / 1000),
    clients: pool.totals().heartbeatClients,
  };
  await pool.start(0);
  const cpu0 = snapshot(server, pool);
  const until = performance.now() + scenario.durationS * 1000;
  while (performance.now() < until) {
    ctx.progress?.update(
      `[${scenario.id} ${record.target}] holding ${record.connect.ok} idle clients, heartbeat ${scenario.heartbeatMs} ms`,
    );
    await sleep(250);
  }
  const cpu1 = snapshot(server, pool);
  const seconds = (cpu1.wall - cpu0.wall) / 1000;
  record.server.rssConnectedBytes = readRss(server.pid);
  record.cpu = cpuFigures(cpu0, cpu1, cpu1.wall - cpu0.wall, 0);
  const result = await pool.finish([]);
  const connections = record.connect.ok;
  const baselineMsPerS = record.serverAlone.serverMs / record.serverAlone.seconds;
  const grossUs = (record.cpu.serverMs * 1000) / (connections * seconds);
  const netUs = ((record.cpu.serverMs - baselineMsPerS * seconds) * 1000) / (connections * seconds);
  record.heartbeat = {
    periodMs: scenario.heartbeatMs,
    // Waited after connecting until every client had had a heartbeat (clients heartbeated by then).
    firstRound,
    seconds: round(seconds),
    connections,
    // Heartbeats (JSON pong) the clients received in the window: about connections × seconds / period.
    received: result.heartbeats,
    expected: Math.round((connections * seconds * 1000) / scenario.heartbeatMs),
    closedDuringRun: result.closedDuringRun,
    closeCodes: result.closeCodes,
    usPerConnectionSecond: round(grossUs),
    netUsPerConnectionSecond: round(netUs),
    aloneServerPct: record.serverAlone.serverPct,
  };
}

export async function runLoad(scenario, server, pool, poster, record, ctx, peers = []) {
  const fanout = scenario.kind === 'fanout';
  const load = (durationMs, onTick) =>
    fanout
      ? poster.openLoop({ rate: scenario.rate, durationMs, onTick })
      : poster.closedLoop({
          concurrency: scenario.concurrency,
          durationMs,
          duplicateShare: scenario.duplicateShare,
          onTick,
        });

  // Warm-up (JIT, connection pools, SQLite pages); its alerts are numbered below firstSeq and not counted.
  await load(scenario.warmupS * 1000);
  await sleep(500);
  poster.reset();
  await pool?.start(poster.firstSeq);

  const cpu0 = snapshot(server, pool, [], peers);
  const t0Us = monotonicUs();
  const started = performance.now();
  const tick = () => {
    const elapsed = (performance.now() - started) / 1000;
    const totals = pool?.totals();
    const parts = [
      `[${scenario.id} ${record.target}] ${elapsed.toFixed(1)}/${scenario.durationS}s`,
      `posted ${poster.sent}`,
      `accepted ${poster.accepted.length}`,
      `${fmtRate(poster.sent / Math.max(elapsed, 0.5))} alerts/s`,
    ];
    if (totals) {
      parts.push(
        `delivered ${fmtCount(totals.delivered)} (${fmtRate(totals.delivered / Math.max(elapsed, 0.5))}/s)`,
        `worst latency ${(totals.maxLatencyUs / 1000).toFixed(0)} ms`,
        `misdelivered ${totals.misdelivered}`,
      );
    }
    ctx.progress?.update(parts.join('  '));
  };
  const phase = await load(scenario.durationS * 1000, tick);

  // Drain: wait until every expected frame has arrived, or until deliveries stop progressing (for 2.5 s; for 15 s
  // when nothing arrived at all, so that a server far behind is not mistaken for one that lost everything).
  const expected = poster.accepted.length * (record.connect?.matching ?? 0);
  if (pool && expected > 0) {
    let last = -1;
    let lastChange = performance.now();
    const deadline = performance.now() + 30_000;
    while (performance.now() < deadline) {
      tick();
      const { delivered } = pool.totals();
      if (delivered >= expected) break;
      if (delivered !== last) {
        last = delivered;
        lastChange = performance.now();
      } else if (performance.now() - lastChange > (delivered === 0 ? 15_000 : 2500)) break;
      await sleep(250);
    }
  }
  const cpu1 = snapshot(server, pool, [], peers);
  record.server.rssLoadedBytes = readRss(server.pid);
  const delivery = pool ? await pool.finish(poster.accepted) : null;
  const lastDeliveryMs =
    delivery && delivery.lastDeliveryUs > 0 ? (delivery.lastDeliveryUs - t0Us) / 1000 : 0;
  // The window over which rates are computed: sending, plus the tail until the last frame arrived.
  const activeMs = Math.max(phase.sendMs, lastDeliveryMs, fanout ? 0 : phase.answeredMs);
  const answered = poster.accepted.length + poster.duplicates;

  record.alerts = {
    offeredPerSec: fanout ? scenario.rate : null,
    concurrency: fanout ? null : scenario.concurrency,
    sent: poster.sent,
    accepted: poster.accepted.length,
    duplicates: poster.duplicates,
    skipped: poster.skipped,
    errors: poster.errors,
    answeredPerSec: round((answered / phase.answeredMs) * 1000),
    acceptedPerSec: round((poster.accepted.length / phase.answeredMs) * 1000),
    maxSendLagMs: round(phase.maxLagMs),
    postLatencyMs: poster.latency.summaryMs(),
  };
  if (delivery) {
    record.deliveries = {
      matchingClients: delivery.matchingClients,
      expected,
      delivered: delivery.delivered,
      perSec: round((delivery.delivered / activeMs) * 1000),
      lost: delivery.lost,
      duplicated: delivery.duplicated,
      unexpected: delivery.unexpected,
      misdelivered: delivery.misdelivered,
      outOfOrder: delivery.outOfOrder,
      closedDuringRun: delivery.closedDuringRun,
      closeCodes: delivery.closeCodes,
      controlErrors: delivery.controlErrors,
    };
    record.latencyMs = delivery.latency.summaryMs();
  }
  record.windowMs = round(activeMs);
  record.cpu = cpuFigures(cpu0, cpu1, activeMs, delivery?.delivered ?? 0, answered);
}

const pick = (object, keys) => Object.fromEntries(keys.map((k) => [`${k}Ms`, object[k]]));
const fmtRate = (x) => (x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));
const fmtCount = (x) =>
  x >= 1_000_000 ? `${(x / 1e6).toFixed(2)}M` : x >= 10_000 ? `${(x / 1000).toFixed(1)}k` : `${x}`;
