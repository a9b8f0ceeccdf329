// The replay scenario (contract section 7, `resume_from`): the log is filled with a backlog through the public API,
// then 1,000 live clients receive 100 alerts/s twice — once alone (baseline), once while one more client resumes
// the backlog — and the resuming client's events/s, the live clients' latency during the replay and the server's
// memory are compared with the baseline. Runs on the product only (the reference servers keep no log).

import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AlertPoster } from './alerts.mjs';
import { Histogram } from './histogram.mjs';
import { cpuFigures, round, snapshot } from './measure.mjs';
import {
  monotonicUs,
  ownCpuMs,
  readCpuMs,
  readMachineBusyMs,
  readRss,
  sleep,
  spawnWithFdLimit,
} from './proc.mjs';

const CLIENT = fileURLToPath(new URL('./replay-client.mjs', import.meta.url));

/** Each new alert publishes alert_received, alert_converted and incident_created. */
export const EVENTS_PER_ALERT = 3;
/** Latencies are kept per slice of the alerts' send time, so that the replay's window can be cut out. */
const SLICE_MS = 100;
/** Server RSS and CPU are sampled this often during the measured phases. */
const SAMPLE_MS = 50;
/** The fill gives up after this long (a product that ingests under ~150 alerts/s). */
const FILL_TIMEOUT_MS = 240_000;
/** How much longer than the phase the resuming client may take (the live load goes on meanwhile). */
const REPLAY_TIMEOUT_MS = 60_000;

/** What the live clients subscribe to: every event, or the (b) scenario's matching filter. */
export const LIVE_FILTERS = {
  all: {},
  created: { event_types: ['incident_created'], severities: ['P0'] },
};

/** The parent's side of the resuming client (lib/replay-client.mjs), a process of its own. */
class ReplayClient {
  static spawn(track, cpuProfDir) {
    const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
    const child = spawnWithFdLimit(process.execPath, [...nodeArgs, CLIENT], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    track?.(child);
    return new ReplayClient(child);
  }

  constructor(child) {
    this.child = child;
    this.waiters = [];
    this.fatal = null;
    child.on('message', (message) => {
      if (message.type === 'fatal') return this.fail(new Error(`replay client: ${message.message}`));
      const waiter = this.waiters.find((w) => w.type === message.type);
      if (waiter) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        clearTimeout(waiter.timer);
        waiter.resolve(message);
      }
      return undefined;
    });
    child.on('exit', (code, signal) => {
      if (!this.closing) this.fail(new Error(`replay client exited (${code ?? signal})`));
    });
  }

  fail(error) {
    this.fatal ??= error;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  /** A promise of the next message of `type`; registered before the command that causes it is sent. */
  waitFor(type, timeoutMs) {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => {
      const waiter = { type, resolve, reject };
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`replay client: no ${type} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async head(url, token) {
    const reply = this.waitFor('head', 15_000);
    this.child.send({ cmd: 'head', url, token });
    return (await reply).position;
  }

  /** Starts the resume; `subscribing` resolves as the subscribe is written, `complete` on `replay_complete`. */
  replay(options, timeoutMs) {
    const subscribing = this.waitFor('subscribing', 15_000);
    const complete = this.waitFor('replay-complete', timeoutMs);
    // Observed by the phase; never an unhandled rejection meanwhile.
    subscribing.catch(() => {});
    complete.catch(() => {});
    this.child.send({ cmd: 'replay', ...options });
    return { subscribing, complete };
  }

  async finish() {
    const reply = this.waitFor('result', 10_000);
    this.child.send({ cmd: 'finish' });
    return reply;
  }

  cpuMs() {
    return readCpuMs(this.child.pid) ?? 0;
  }

  async close() {
    this.closing = true;
    const child = this.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.send({ cmd: 'close' });
      else child.kill('SIGKILL');
    });
  }
}

/** Samples the server's RSS and CPU (and the generator's and the machine's CPU) every SAMPLE_MS. */
function startSampler(server, pool, client) {
  const samples = [];
  const take = () =>
    samples.push({
      us: monotonicUs(),
      rss: readRss(server.pid),
      server: readCpuMs(server.pid),
      generator: ownCpuMs() + pool.cpuMs() + client.cpuMs(),
      replayClient: client.cpuMs(),
      machine: readMachineBusyMs(),
    });
  take();
  let timer = setInterval(take, SAMPLE_MS);
  return {
    samples,
    stop() {
      if (timer !== null) {
        clearInterval(timer);
        timer = null;
        take();
      }
      return samples;
    },
  };
}

/** RSS and CPU over [fromUs, toUs], from the samples around it (at most SAMPLE_MS wider on each side). */
function resourcesOver(samples, fromUs, toUs) {
  let first = samples[0];
  for (const s of samples) if (s.us <= fromUs) first = s;
  const last = samples.find((s) => s.us >= toUs) ?? samples[samples.length - 1];
  const inside = samples.filter((s) => s.us >= first.us && s.us <= last.us && s.rss !== null);
  const wallMs = (last.us - first.us) / 1000;
  const pct = (key) => round(((last[key] - first[key]) / wallMs) * 100);
  const other =
    last.machine - first.machine - (last.server - first.server) - (last.generator - first.generator);
  return {
    wallMs: round(wallMs),
    rssBeforeBytes: first.rss,
    rssPeakBytes: Math.max(...inside.map((s) => s.rss)),
    rssEndBytes: last.rss,
    serverCpuPct: pct('server'),
    generatorCpuPct: pct('generator'),
    replayClientCpuPct: pct('replayClient'),
    otherCpuPct: round((Math.max(0, other) / wallMs) * 100),
  };
}

/** The merged histogram of slices [from, to] (inclusive; missing slices are empty). */
function mergeSlices(slices, from, to) {
  const h = new Histogram();
  for (let k = Math.max(0, from); k <= to && k < slices.length; k++) if (slices[k]) h.merge(slices[k]);
  return h;
}

/** p99 over every window of `width` consecutive slices: the spread of a window as short as the replay. */
function slidingP99(slices, width) {
  const values = [];
  for (let k = 0; k + width <= slices.length; k++) {
    const h = mergeSlices(slices, k, k + width - 1);
    if (h.count > 0) values.push(h.quantile(0.99) / 1000);
  }
  values.sort((a, b) => a - b);
  if (values.length === 0) return null;
  return {
    windows: values.length,
    medianMs: round(values[Math.floor((values.length - 1) / 2)]),
    maxMs: round(values[values.length - 1]),
  };
}

/** p99 in ms of the alerts sent in each second of the phase. */
function p99BySecond(slices) {
  const perSecond = 1000 / SLICE_MS;
  const out = [];
  for (let k = 0; k < slices.length; k += perSecond) {
    const h = mergeSlices(slices, k, k + perSecond - 1);
    out.push(h.count === 0 ? null : round(h.quantile(0.99) / 1000));
  }
  return out;
}

/** One run of the scenario on a started server: `fill` before the live clients connect, then `run`. */
export class ReplayRun {
  constructor(scenario, server, ctx, token) {
    this.scenario = scenario;
    this.server = server;
    this.ctx = ctx;
    this.token = token;
    this.url = `ws://127.0.0.1:${server.port}/ws`;
    this.poster = new AlertPoster({
      port: server.port,
      sockets: scenario.fillConcurrency,
      runId: ctx.runId,
      token,
    });
    this.client = ReplayClient.spawn(ctx.track, ctx.clientsCpuProfDir);
  }

  /** Posts new alerts (closed loop) until the log holds at least the backlog; records how fast that went. */
  async fill(record) {
    const s = this.scenario;
    const alerts = Math.ceil(s.backlog / EVENTS_PER_ALERT);
    const cpu0 = snapshot(this.server, null, [this.client]);
    const started = performance.now();
    const tick = () => {
      const elapsed = (performance.now() - started) / 1000;
      this.ctx.progress?.update(
        `[${s.id} ${record.target}] filling the log: ${this.poster.accepted.length}/${alerts} alerts accepted ` +
          `(${Math.round(this.poster.accepted.length / Math.max(elapsed, 0.5))}/s)`,
      );
    };
    await this.poster.closedLoop({
      concurrency: s.fillConcurrency,
      durationMs: FILL_TIMEOUT_MS,
      count: alerts,
      onTick: tick,
    });
    const ms = performance.now() - started;
    const cpu1 = snapshot(this.server, null, [this.client]);
    const head = await this.client.head(this.url, this.token);
    record.fill = {
      alertsSent: this.poster.sent,
      alertsAccepted: this.poster.accepted.length,
      errors: this.poster.errors,
      seconds: round(ms / 1000),
      alertsPerSec: round((this.poster.accepted.length / ms) * 1000),
      head,
      eventsPerSec: round((head / ms) * 1000),
      cpu: cpuFigures(cpu0, cpu1, ms, 0, this.poster.sent),
    };
    record.server.rssFilledBytes = readRss(this.server.pid);
    if (head < s.backlog) {
      throw new Error(
        `the log holds ${head} events after the fill, fewer than the backlog of ${s.backlog} ` +
          `(POST errors: ${JSON.stringify(this.poster.errors)})`,
      );
    }
  }

  /** Warm-up, the baseline phase, the phase with the replay, and the comparison of the two. */
  async run(pool, record) {
    const s = this.scenario;
    await this.poster.openLoop({ rate: s.rate, durationMs: s.warmupS * 1000 });
    await sleep(500);
    const baseline = await this.phase('baseline', pool, record, null);
    await sleep(500);
    const replay = await this.phase('replay', pool, record, s.replayAtS * 1000);
    record.baseline = baseline.figures;
    record.withReplay = replay.figures;
    const window = replay.figures.replayWindow;
    if (window) {
      // The baseline's p99 over windows as long as the replay's: how much a window that short moves by itself.
      window.baselineSameLengthP99 = slidingP99(baseline.slices, window.slices);
      window.p99Ratio =
        record.baseline.latencyMs.p99 > 0
          ? round(window.latencyMs.p99 / record.baseline.latencyMs.p99)
          : null;
    }
  }

  async phase(name, pool, record, replayAtMs) {
    const poster = this.poster;
    poster.reset();
    const originUs = monotonicUs();
    await pool.start(poster.firstSeq, { sliceMs: SLICE_MS, originUs });
    const sampler = startSampler(this.server, pool, this.client);
    try {
      return await this.measure(name, pool, record, replayAtMs, originUs, sampler);
    } finally {
      sampler.stop();
    }
  }

  async measure(name, pool, record, replayAtMs, originUs, sampler) {
    const s = this.scenario;
    const poster = this.poster;
    const cpu0 = snapshot(this.server, pool, [this.client]);
    const started = performance.now();
    let replay = null;
    const timer =
      replayAtMs === null
        ? null
        : setTimeout(() => {
            replay = this.client.replay(
              { url: this.url, backlog: s.backlog, filters: {}, token: this.token },
              s.durationS * 1000 + REPLAY_TIMEOUT_MS,
            );
            replay.complete.then(
              () => (replay.done = true),
              () => (replay.failed = true),
            );
          }, replayAtMs);
    const tick = () => {
      const elapsed = (performance.now() - started) / 1000;
      const totals = pool.totals();
      const state = replay === null ? '' : replay.done ? '  replay complete' : '  replaying';
      this.ctx.progress?.update(
        `[${s.id} ${record.target}] ${name} ${elapsed.toFixed(1)}/${s.durationS}s  posted ${poster.sent}  ` +
          `delivered ${totals.delivered}  worst latency ${(totals.maxLatencyUs / 1000).toFixed(0)} ms${state}`,
      );
    };
    // The live load goes on until the replay is complete (within REPLAY_TIMEOUT_MS): the replay is measured under
    // it from start to end.
    const load = await poster.openLoop({
      rate: s.rate,
      durationMs: s.durationS * 1000,
      onTick: tick,
      extendWhile: () => replay !== null && !replay.done && !replay.failed,
      maxDurationMs: s.durationS * 1000 + REPLAY_TIMEOUT_MS,
    });
    if (timer !== null) clearTimeout(timer);
    let replayComplete = null;
    let replayOutlastedLoad = false;
    if (replay !== null) {
      replayOutlastedLoad = !replay.done;
      await replay.subscribing;
      replayComplete = await replay.complete;
    }

    // Drain: every live client's incident_created of every accepted alert, or no progress for 2.5 s.
    const expected = poster.accepted.length * record.connect.matching;
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
      } else if (performance.now() - lastChange > 2500) break;
      await sleep(250);
    }
    const cpu1 = snapshot(this.server, pool, [this.client]);
    const samples = sampler.stop();
    const delivery = await pool.finish(poster.accepted);
    const lastDeliveryMs = delivery.lastDeliveryUs > 0 ? (delivery.lastDeliveryUs - originUs) / 1000 : 0;
    const activeMs = Math.max(load.sendMs, lastDeliveryMs);
    const slices = delivery.slices ?? [];
    const rssValues = samples.map((x) => x.rss).filter((x) => x !== null);
    const figures = {
      alerts: {
        offeredPerSec: s.rate,
        sent: poster.sent,
        accepted: poster.accepted.length,
        skipped: poster.skipped,
        errors: poster.errors,
        answeredPerSec: round((poster.accepted.length / load.answeredMs) * 1000),
        maxSendLagMs: round(load.maxLagMs),
      },
      deliveries: {
        clients: delivery.matchingClients,
        expected,
        delivered: delivery.delivered,
        perSec: round((delivery.delivered / activeMs) * 1000),
        otherEvents: delivery.otherEvents,
        lost: delivery.lost,
        duplicated: delivery.duplicated,
        unexpected: delivery.unexpected,
        misdelivered: delivery.misdelivered,
        outOfOrder: delivery.outOfOrder,
        closedDuringRun: delivery.closedDuringRun,
        closeCodes: delivery.closeCodes,
        controlErrors: delivery.controlErrors,
      },
      latencyMs: delivery.latency.summaryMs(),
      p99BySecondMs: p99BySecond(slices),
      windowMs: round(activeMs),
      cpu: cpuFigures(cpu0, cpu1, activeMs, delivery.delivered + delivery.otherEvents, poster.sent),
      rss: {
        startBytes: rssValues[0] ?? null,
        peakBytes: rssValues.length > 0 ? Math.max(...rssValues) : null,
        endBytes: rssValues[rssValues.length - 1] ?? null,
      },
    };
    if (replay !== null) {
      const result = await this.client.finish();
      const fromUs = result.subscribeUs;
      // A replay cut short (the connection closed) ends when it closed.
      const toUs = result.completeUs ?? result.abortedUs;
      const first = Math.floor((fromUs - originUs) / 1000 / SLICE_MS);
      const lastSlice = Math.floor((toUs - originUs) / 1000 / SLICE_MS);
      const during = mergeSlices(slices, first, lastSlice);
      const outside = mergeSlices(slices, 0, first - 1).merge(
        mergeSlices(slices, lastSlice + 1, slices.length),
      );
      const replayMs = (toUs - fromUs) / 1000;
      figures.replay = {
        backlog: s.backlog,
        head: result.head,
        resumeFrom: result.resumeFrom,
        position: result.position,
        completePosition: result.completePosition,
        resumed: result.resumed,
        replayed: result.replayed,
        replayedAnnounced: result.replayedAnnounced,
        startedAtMs: round((fromUs - originUs) / 1000),
        // Subscribe → replay_complete on the monotonic clock (for profile-summary.mjs --window).
        windowUs: [Math.round(fromUs), Math.round(toUs)],
        subscribedMs: round((result.subscribedUs - fromUs) / 1000),
        firstEventMs: result.firstEventUs === null ? null : round((result.firstEventUs - fromUs) / 1000),
        completeMs: round(replayMs),
        eventsPerSec: round((result.replayed / replayMs) * 1000),
        // From the first replayed frame on: the rate once the log is being read.
        streamEventsPerSec:
          result.firstEventUs === null ? null : round((result.replayed / (toUs - result.firstEventUs)) * 1e6),
        mbPerSec: round(result.replayedBytes / replayMs / 1000),
        meanFrameBytes: result.replayed > 0 ? Math.round(result.replayedBytes / result.replayed) : null,
        // The best 100 ms of the replay, as a rate.
        peakEventsPerSec: Math.max(0, ...result.replaySlices) * (1e6 / result.sliceUs),
        // Replayed frames received in each slice from the subscribe on (sliceMs each).
        timeline: { sliceMs: result.sliceUs / 1000, frames: result.replaySlices },
        holes: result.replayHoles,
        outOfOrder: result.outOfOrder,
        outOfRange: result.outOfRange,
        gaps: result.gaps,
        live: result.live,
        firstLiveSequence: result.firstLiveSequence,
        liveContinuesAtPosition:
          result.firstLiveSequence === null || result.completePosition === null
            ? null
            : result.firstLiveSequence === result.completePosition + 1,
        liveHoles: result.liveHoles,
        errors: result.errors,
        closeCode: result.closeCode,
        aborted: result.completeUs === null,
        outlastedLiveLoad: replayOutlastedLoad,
        replayCompleteReceived: replayComplete !== null,
      };
      figures.replayWindow = {
        slices: lastSlice - first + 1,
        alerts: Math.round(during.count / Math.max(1, delivery.matchingClients)),
        latencyMs: during.summaryMs(),
        resources: resourcesOver(samples, fromUs, toUs),
      };
      figures.outsideReplay = { latencyMs: outside.summaryMs() };
    }
    return { figures, slices };
  }

  async close() {
    await this.client.close();
  }
}
