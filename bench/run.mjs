#!/usr/bin/env node
// `npm run bench [-- options]`: starts each server itself, runs the scenarios of issue 5 against the product and
// the reference servers in the same run, prints a markdown table and writes JSON + markdown under bench/results/.
// See bench/README.md.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, copyFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FD_LIMIT } from './lib/proc.mjs';
import { MATCHER_KINDS } from './lib/protocol.mjs';
import { markdownReport } from './lib/report.mjs';
import { expandScenarioIds, ISSUE17_SCENARIOS, runScenario, sizeScenario } from './lib/scenarios.mjs';
import { mintBenchAuth, parseTarget, REPO_ROOT } from './lib/servers.mjs';

const HELP = `usage: npm run bench -- [options]

  --scenario LIST    scenarios to run, comma-separated: a, b, b10k, c, idle, d (= d0 + d1k), d0, d1k, dbatch,
                     replay, cluster, issue17 (= b,b10k,c,idle,d0,dbatch)
                     [a,b,c,d] (replay and cluster run against product targets only; cluster needs PostgreSQL,
                     BENCH_PG_URL [postgres://root@127.0.0.1:5432], and redis-server, BENCH_REDIS_SERVER)
  --targets LIST     product, ref-send, ref-coalesce, ref-cork, each optionally +deflate and/or +auth
                     (+auth: the product runs with AUTH_MODE=required, a reference verifies the token; requests
                     carry the run's JWT);
                     product+pg (a fresh PostgreSQL database, BENCH_PG_URL [postgres://postgres@127.0.0.1:5432];
                     d0, d1k and dbatch only);
                     ref-ingest (the durable-ingestion reference: d0 and dbatch only)
                                                               [ref-send,ref-coalesce,product]
  --auth             every target runs with authentication (product -> product+auth, ref-x -> ref-x+auth: the
                     references verify the run's JWT like the product, once then from a cache); the default when
                     b10k, idle or dbatch is selected (issue 17: "measure with authentication on")
  --no-auth          not even then
  --quick            smoke run: 10 % of the clients, 3 s per scenario (one scenario < 1 min)
  --scale X          multiply client counts by X (after --quick's default of 0.1)
  --clients N        client count for every selected scenario
  --duration S       measured seconds per scenario
  --rate R           alerts/s of the fan-out scenarios (a, b)
  --match SHARE      share of clients with the matching filter (a, b, c), 0..1
  --duplicates SHARE share of the ingestion scenarios' alerts that repeat an earlier title (d0, d1k, dbatch), 0..1
                     [0.1]; 0: every title distinct
  --matchers KIND    none, regex (half the clients add the same two regex label_matchers) or regex-distinct
                     (each of those clients' patterns unique: no shared filter groups)   [none]
  --backlog N        events the replay scenario's resuming client catches up on   [100000]
  --live-filter all|created   the replay scenario's live clients subscribe to every event ({}) or to
                     incident_created of P0 (the filter of b's matching clients)   [all]
  --workers N        load-generator processes holding the clients   [2]
  --repeat N         run each scenario × target N times, alternating the order; tables show the median   [1]
  --connect-concurrency N   handshakes in flight while connecting   [200]
  --client raw|ws    WebSocket client of the generator: a minimal RFC 6455 client, or the ws library   [raw]
                     (+deflate targets always use ws)
  --env KEY=VALUE    extra environment for the product (repeatable), e.g. --env WS_MAX_PENDING_MESSAGES=5000
  --ref-arg ARG      extra argument for the reference servers (repeatable), e.g. --ref-arg=--fault-drop=0.01
  --cpu-prof         run the servers under node --cpu-prof; profiles under bench/results/profiles/<run>/
  --cpu-prof-clients the same for the load-generator processes (profiles/<run>/clients/)
  --build            run \`npm run build\` before starting the product
  --product-dir DIR  the product checkout to run (its dist/main.js)   [this repository]
  --label NAME       suffix of the result files
  --out DIR          where results go                               [bench/results]

Environment: BENCH_SCENARIO, BENCH_TARGETS, BENCH_QUICK=1, BENCH_SCALE, BENCH_WORKERS, BENCH_AUTH=1,
BENCH_MATCHERS mirror the flags.`;

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
/** Scenarios added for issue 17: selecting one turns authentication on unless --no-auth. */
const ISSUE17_ONLY = ISSUE17_SCENARIOS.filter((s) => !['b', 'c', 'd0'].includes(s));

/**
 * Whether a target runs a scenario: the `ws` references have no batch route, ref-ingest no WebSocket; `+pg` runs
 * the ingestion scenarios only (PostgreSQL next to SQLite for issue 17's d; the fan-out on PostgreSQL is the
 * cluster scenario's, or `--env DATABASE_URL=`).
 */
function supports(scenario, target) {
  if (scenario.kind === 'cluster') return target.kind === 'product' && !target.pg;
  if (target.pg) return scenario.kind === 'ingest';
  if (scenario.kind === 'replay') return target.kind === 'product';
  if (target.kind === 'ingest-reference') return scenario.kind === 'ingest' && scenario.clients === 0;
  if (scenario.batchSize > 1) return target.kind !== 'reference';
  return true;
}
const children = new Set();

function parseOptions(argv) {
  const env = process.env;
  const o = {
    scenarios: (env.BENCH_SCENARIO ?? 'a,b,c,d').split(','),
    targets: (env.BENCH_TARGETS ?? 'ref-send,ref-coalesce,product').split(','),
    quick: env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true',
    auth:
      env.BENCH_AUTH === '1' || env.BENCH_AUTH === 'true' ? true : env.BENCH_AUTH === '0' ? false : undefined,
    scale: env.BENCH_SCALE ? Number(env.BENCH_SCALE) : undefined,
    workers: Number(env.BENCH_WORKERS ?? 2),
    matchers: env.BENCH_MATCHERS,
    repeat: 1,
    client: env.BENCH_CLIENT ?? 'raw',
    connectConcurrency: 200,
    productEnv: {},
    referenceArgs: [],
    out: path.join(BENCH_DIR, 'results'),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const number = () => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) throw new Error(`${flag} needs a non-negative number`);
      return v;
    };
    switch (flag) {
      case '--scenario':
      case '--scenarios':
        o.scenarios = value().split(',');
        break;
      case '--targets':
      case '--target':
        o.targets = value().split(',');
        break;
      case '--quick':
        o.quick = true;
        break;
      case '--auth':
        o.auth = true;
        break;
      case '--no-auth':
        o.auth = false;
        break;
      case '--scale':
        o.scale = number();
        break;
      case '--clients':
        o.clients = Math.round(number());
        break;
      case '--duration':
        o.duration = number();
        break;
      case '--rate':
        o.rate = number();
        break;
      case '--backlog':
        o.backlog = Math.max(1, Math.round(number()));
        break;
      case '--live-filter':
        o.liveFilter = value();
        break;
      case '--matchers':
        o.matchers = value();
        if (!MATCHER_KINDS.includes(o.matchers)) throw new Error(`--matchers is ${MATCHER_KINDS.join(', ')}`);
        // The client workers inherit the environment.
        process.env.BENCH_MATCHERS = o.matchers;
        // Not comparable with a run without: its result files say so (unless --label names them).
        o.label ??= `matchers-${o.matchers}`;
        break;
      case '--duplicates':
        o.duplicateShare = number();
        if (o.duplicateShare > 1) throw new Error('--duplicates is a share between 0 and 1');
        break;
      case '--match':
        o.matchShare = number();
        if (o.matchShare > 1) throw new Error('--match is a share between 0 and 1');
        break;
      case '--workers':
        o.workers = Math.max(1, Math.round(number()));
        break;
      case '--client':
        o.client = value();
        if (!['raw', 'ws'].includes(o.client)) throw new Error('--client is raw or ws');
        break;
      case '--repeat':
        o.repeat = Math.max(1, Math.round(number()));
        break;
      case '--connect-concurrency':
        o.connectConcurrency = Math.max(1, Math.round(number()));
        break;
      case '--env': {
        const [key, v] = value().split(/=(.*)/s, 2);
        o.productEnv[key] = v ?? '';
        break;
      }
      case '--ref-arg':
        o.referenceArgs.push(value());
        break;
      case '--cpu-prof':
        o.cpuProf = true;
        break;
      case '--cpu-prof-clients':
        o.cpuProfClients = true;
        break;
      case '--build':
        o.build = true;
        break;
      case '--product-dir':
        o.productDir = path.resolve(value());
        break;
      case '--label':
        o.label = value().replace(/[^A-Za-z0-9_-]/g, '_');
        break;
      case '--out':
        o.out = path.resolve(value());
        break;
      case '--help':
      case '-h':
        process.stdout.write(`${HELP}\n`);
        process.exit(0);
        break;
      default:
        throw new Error(`unknown option ${argv[i]}\n\n${HELP}`);
    }
  }
  o.scenarios = expandScenarioIds(o.scenarios.map((s) => s.trim()).filter(Boolean));
  o.targets = o.targets.map((t) => parseTarget(t.trim()));
  // Issue 17 is measured with authentication on: a run with one of its own scenarios turns it on by default.
  o.auth ??= o.scenarios.some((s) => ISSUE17_ONLY.includes(s));
  // --auth: every target authenticates (`product` becomes `product+auth`, `ref-coalesce` `ref-coalesce+auth`): the
  // product with AUTH_MODE=required, the references verifying the same token the same way (once, then cached).
  if (o.auth) o.targets = o.targets.map((t) => (t.auth ? t : parseTarget(`${t.name}+auth`)));
  const names = o.targets.map((t) => t.name);
  o.targets = o.targets.filter((t, i) => names.indexOf(t.name) === i);
  return o;
}

/** One status line, rewritten in place on a terminal; a line every 5 s otherwise (CI logs). */
function progressLine() {
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (tty) {
        if (now - lastPrint < 200) return;
        process.stderr.write(`\r\x1b[K${text.slice(0, (process.stderr.columns || 200) - 1)}`);
        shown = true;
      } else {
        if (now - lastPrint < 5000) return;
        process.stderr.write(`${text}\n`);
      }
      lastPrint = now;
    },
    clear() {
      if (tty && shown) process.stderr.write('\r\x1b[K');
      shown = false;
      lastPrint = 0;
    },
  };
}

function killAll() {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping servers and clients\n`);
      killAll();
      process.exit(130);
    });
  }
  if (options.build && options.targets.some((t) => t.kind === 'product')) {
    process.stderr.write('building the product (npm run build)\n');
    execFileSync('npm', ['run', 'build'], { cwd: options.productDir ?? REPO_ROOT, stdio: 'inherit' });
  }

  const startedAt = new Date();
  // Any override of the issue's sizes makes the run not comparable with the targets.
  const custom = [
    'scale',
    'clients',
    'duration',
    'rate',
    'matchShare',
    'duplicateShare',
    'backlog',
    'liveFilter',
  ].some((k) => options[k] !== undefined);
  // Authentication: off, on for every product target, or both side by side (`product` and `product+auth`).
  const authTargets = options.targets.filter((t) => t.auth).map((t) => t.name);
  const productsWithoutAuth = options.targets.filter((t) => t.kind === 'product' && !t.auth);
  const authMode =
    authTargets.length === 0 ? 'off' : productsWithoutAuth.length === 0 ? 'on' : 'side by side';
  const auth = authTargets.length > 0 ? mintBenchAuth() : null;
  const id =
    startedAt.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-') +
    (options.label ? `-${options.label}` : options.quick ? '-quick' : custom ? '-custom' : '') +
    (authMode === 'on' && !options.label ? '-auth' : '');
  const cpuProfDir = options.cpuProf ? path.join(options.out, 'profiles', id) : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });
  const clientsCpuProfDir = options.cpuProfClients
    ? path.join(options.out, 'profiles', id, 'clients')
    : undefined;
  if (clientsCpuProfDir) mkdirSync(clientsCpuProfDir, { recursive: true });
  const scenarios = Object.fromEntries(options.scenarios.map((s) => [s, sizeScenario(s, options)]));
  const maxClients = Math.max(0, ...Object.values(scenarios).map((s) => s.clients));
  const perWorker = Math.ceil(maxClients / options.workers);
  if (perWorker + 100 > FD_LIMIT || maxClients + 100 > FD_LIMIT) {
    process.stderr.write(
      `warning: the file-descriptor hard limit is ${FD_LIMIT}; ${maxClients} clients need more ` +
        `(raise it with \`ulimit -Hn\` as root, or use more --workers)\n`,
    );
  }
  const run = {
    id,
    startedAt: startedAt.toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    quick:
      options.quick || (options.scale !== undefined && options.scale < 1) || options.clients !== undefined,
    host: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(os.totalmem() / 1024 ** 3),
      node: process.version,
      fdLimit: FD_LIMIT,
      loadAverage: os.loadavg(),
    },
    options: {
      targets: options.targets.map((t) => t.name),
      workers: options.workers,
      repeat: options.repeat,
      client: options.client,
      connectConcurrency: options.connectConcurrency,
      productEnv: options.productEnv,
      referenceArgs: options.referenceArgs,
      productDir: options.productDir ?? REPO_ROOT,
      cpuProf: Boolean(options.cpuProf),
      // Never the secret or the token: only what they were.
      auth: {
        mode: authMode,
        targets: authTargets,
        ...(auth
          ? {
              productEnv: 'AUTH_MODE=required, AUTH_JWT_SECRET=<48 random characters per run>',
              token: 'one HS256 JWT per run, sub bench, scope "alerts:write stream:read", exp +7 days',
            }
          : {}),
      },
    },
    scenarios,
    results: [],
  };
  const progress = progressLine();
  const ctx = {
    runId: id,
    workers: options.workers,
    client: options.client,
    connectConcurrency: options.connectConcurrency,
    productEnv: options.productEnv,
    referenceArgs: options.referenceArgs,
    productDir: options.productDir ?? REPO_ROOT,
    auth,
    cpuProfDir,
    clientsCpuProfDir,
    progress,
    track: (child) => {
      children.add(child);
      child.once('exit', () => children.delete(child));
    },
  };

  process.stderr.write(
    `bench ${id}: scenarios ${options.scenarios.join(', ')} × targets ${run.options.targets.join(', ')}` +
      ` · authentication ${authMode}${authTargets.length > 0 ? ` (${authTargets.join(', ')})` : ''}\n`,
  );
  for (const scenarioId of options.scenarios) {
    const scenario = scenarios[scenarioId];
    process.stderr.write(`\n${scenario.title}${run.quick ? ' [scaled down]' : ''}\n`);
    for (let repeat = 0; repeat < options.repeat; repeat++) {
      // Alternate the order so that no target always runs first (or last) on a machine whose load drifts.
      const ordered = repeat % 2 === 0 ? options.targets : [...options.targets].reverse();
      // The reference servers keep no event log: the replay scenario runs against the product only; ref-ingest
      // runs the ingestion scenarios without subscribers only, the `ws` references have no batch route.
      const targets = ordered.filter((t) => supports(scenario, t));
      if (repeat === 0) {
        const skipped = ordered.filter((t) => !supports(scenario, t)).map((t) => t.name);
        if (skipped.length > 0) process.stderr.write(`  not for this scenario: ${skipped.join(', ')}\n`);
      }
      if (targets.length === 0) process.stderr.write('  no target for this scenario: skipped\n');
      for (const target of targets) {
        const started = Date.now();
        const record = { ...(await runScenario(scenario, target, ctx)), repeat };
        run.results.push(record);
        process.stderr.write(
          `  ${target.name}: ${summary(record)} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
        );
      }
    }
  }
  run.finishedAt = new Date().toISOString();

  const markdown = markdownReport(run);
  mkdirSync(options.out, { recursive: true });
  const jsonPath = path.join(options.out, `${id}.json`);
  const mdPath = path.join(options.out, `${id}.md`);
  writeFileSync(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(mdPath, markdown);
  copyFileSync(jsonPath, path.join(options.out, 'latest.json'));
  copyFileSync(mdPath, path.join(options.out, 'latest.md'));
  process.stdout.write(`\n${markdown}\n`);
  process.stderr.write(
    `results: ${path.relative(process.cwd(), jsonPath)}, ${path.relative(process.cwd(), mdPath)}\n`,
  );
  if (cpuProfDir) process.stderr.write(`CPU profiles: ${path.relative(process.cwd(), cpuProfDir)}\n`);
  const failures = run.results.filter((r) => !r.ok);
  process.exitCode = failures.length > 0 ? 1 : 0;
}

function summary(r) {
  if (!r.ok) return `FAILED: ${String(r.error).split('\n')[0]}`;
  if (r.kind === 'replay') {
    const replay = r.withReplay.replay;
    const window = r.withReplay.replayWindow;
    return (
      `fill ${r.fill.alertsPerSec} alerts/s (${r.fill.seconds} s); replayed ${replay.replayed} in ` +
      `${(replay.completeMs / 1000).toFixed(2)} s = ${replay.eventsPerSec} events/s; live p99 ` +
      `${r.baseline.latencyMs.p99} ms without, ${window.latencyMs.p99} ms during the replay ` +
      `(${window.p99Ratio}×); RSS ${(window.resources.rssBeforeBytes / 2 ** 20).toFixed(0)} → peak ` +
      `${(window.resources.rssPeakBytes / 2 ** 20).toFixed(0)} MB`
    );
  }
  if (r.kind === 'cluster') {
    const c = r.summary;
    const ing = (k) => r.phases[k]?.alerts?.answeredPerSec;
    return (
      `p99 ${c.singleP99Ms} ms single, ${c.twoP99Ms} ms A→B (${c.p99Ratio}×); µs CPU/alert single ` +
      `${c.singleUsPerAlert}, A ${c.nodeAUsPerAlert}, B ${c.nodeBUsPerAlert}; ingest ${ing('singleIngest')} ` +
      `alerts/s single, ${ing('twoIngest')} two nodes`
    );
  }
  if (r.kind === 'heartbeat') {
    const h = r.heartbeat;
    return (
      `${h.connections} idle clients, heartbeat ${h.periodMs} ms, ${h.seconds} s: ${h.usPerConnectionSecond} µs/s CPU per ` +
      `connection (${h.netUsPerConnectionSecond} net of the server alone), ${h.received} heartbeats received of ` +
      `${h.expected} expected; connected at ${r.connect.perSec}/s; RSS peak ${mb(r.server.rssPeakBytes)} MB`
    );
  }
  if (r.kind === 'idle') {
    return `${r.connect.ok} clients in ${(r.connect.wallMs / 1000).toFixed(1)} s, ${(r.server.rssPerClientBytes / 1024).toFixed(1)} KB RSS/client`;
  }
  const parts = [`${r.alerts.answeredPerSec} alerts/s`];
  if (r.deliveries) {
    parts.push(
      `${r.deliveries.perSec} deliveries/s`,
      `p50 ${r.latencyMs.p50} ms p99 ${r.latencyMs.p99} ms max ${r.latencyMs.max} ms`,
      `lost ${r.deliveries.lost} dup ${r.deliveries.duplicated} misdelivered ${r.deliveries.misdelivered}`,
    );
  }
  parts.push(`server CPU ${r.cpu.serverPct} %`);
  if (r.cpu.serverUsPerAlert !== null) parts.push(`${r.cpu.serverUsPerAlert} µs CPU/alert`);
  if (r.cpu.serverUsPerDelivery !== null) parts.push(`${r.cpu.serverUsPerDelivery} µs CPU/delivery`);
  parts.push(`RSS peak ${mb(r.server.rssPeakBytes)} MB`);
  if (r.cpu.otherPct > 15) parts.push(`OTHER PROCESSES ${r.cpu.otherPct} %`);
  return parts.join(', ');
}

const mb = (bytes) => (bytes === null || bytes === undefined ? '–' : (bytes / 2 ** 20).toFixed(0));

main().catch((error) => {
  process.stderr.write(`bench failed: ${error?.stack ?? error}\n`);
  killAll();
  process.exit(2);
});
