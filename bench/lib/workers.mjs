// The parent's side of the load generator: a pool of client-worker processes holding the WebSocket clients.

import { fileURLToPath } from 'node:url';
import { Histogram } from './histogram.mjs';
import { readCpuMs, spawnWithFdLimit } from './proc.mjs';

const WORKER = fileURLToPath(new URL('./client-worker.mjs', import.meta.url));

export class ClientPool {
  constructor(children) {
    this.children = children;
    this.progress = children.map(() => ({ delivered: 0, misdelivered: 0, closed: 0, maxLatencyUs: 0 }));
    this.waiters = children.map(() => []);
    this.fatal = null;
    children.forEach((child, i) => {
      child.on('message', (message) => this.onMessage(i, message));
      child.on('exit', (code, signal) => {
        if (!this.closing) this.fail(new Error(`client worker ${i} exited (${code ?? signal})`));
      });
    });
  }

  static spawn(count, track, cpuProfDir) {
    const nodeArgs = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
    const children = Array.from({ length: count }, () => {
      const child = spawnWithFdLimit(process.execPath, [...nodeArgs, WORKER], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      track?.(child);
      return child;
    });
    return new ClientPool(children);
  }

  get pids() {
    return this.children.map((c) => c.pid);
  }

  cpuMs() {
    return this.pids.reduce((sum, pid) => sum + (readCpuMs(pid) ?? 0), 0);
  }

  onMessage(i, message) {
    if (message.type === 'progress') {
      this.progress[i] = message;
      return;
    }
    if (message.type === 'fatal') return this.fail(new Error(`client worker ${i}: ${message.message}`));
    const waiter = this.waiters[i].find((w) => w.type === message.type);
    if (waiter) {
      this.waiters[i].splice(this.waiters[i].indexOf(waiter), 1);
      waiter.resolve(message);
    }
  }

  fail(error) {
    this.fatal ??= error;
    for (const list of this.waiters) for (const waiter of list.splice(0)) waiter.reject(error);
  }

  request(i, command, replyType) {
    if (this.fatal) return Promise.reject(this.fatal);
    return new Promise((resolve, reject) => {
      this.waiters[i].push({ type: replyType, resolve, reject });
      this.children[i].send(command);
    });
  }

  /** Opens `clients` connections split over the workers, `matching` of them with the matching filter. */
  async connect({
    url,
    clients,
    matching,
    matchingFilters,
    nonMatchingFilters,
    severity,
    concurrency,
    deflate,
    client,
    token = null,
    allEvents = false,
  }) {
    const n = this.children.length;
    const share = (total, i) => Math.floor(((i + 1) * total) / n) - Math.floor((i * total) / n);
    const replies = await Promise.all(
      this.children.map((_, i) =>
        this.request(
          i,
          {
            cmd: 'connect',
            url,
            matching: share(matching, i),
            nonMatching: share(clients - matching, i),
            matchingFilters,
            nonMatchingFilters,
            severity,
            concurrency: Math.max(1, Math.round(concurrency / n)),
            deflate,
            client,
            token,
            allEvents,
            timeoutMs: 30_000,
          },
          'connected',
        ),
      ),
    );
    const connectUs = new Histogram();
    const errors = {};
    for (const reply of replies) {
      connectUs.merge(Histogram.fromJSON(reply.connectUs));
      for (const [key, count] of Object.entries(reply.errors)) errors[key] = (errors[key] ?? 0) + count;
    }
    return {
      ok: replies.reduce((s, r) => s + r.ok, 0),
      matchingOk: replies.reduce((s, r) => s + r.matchingOk, 0),
      failed: replies.reduce((s, r) => s + r.failed, 0),
      errors,
      connectUs,
    };
  }

  /**
   * Starts counting in every worker (from zero, also on a second call); frames of alerts numbered below `firstSeq`
   * are warm-up. `slices: {sliceMs, originUs}` also keeps the latencies by slice of the alerts' send time.
   */
  async start(firstSeq, slices = {}) {
    await Promise.all(
      this.children.map((_, i) => this.request(i, { cmd: 'start', firstSeq, ...slices }, 'started')),
    );
  }

  /**
   * Deliveries, misdeliveries, closed clients and heartbeats so far, summed over the workers (updated every
   * 500 ms).
   */
  totals() {
    const total = {
      delivered: 0,
      misdelivered: 0,
      closed: 0,
      maxLatencyUs: 0,
      heartbeats: 0,
      heartbeatClients: 0,
    };
    for (const p of this.progress) {
      total.heartbeats += p.heartbeats ?? 0;
      total.heartbeatClients += p.heartbeatClients ?? 0;
      total.delivered += p.delivered;
      total.misdelivered += p.misdelivered;
      total.closed += p.closed;
      total.maxLatencyUs = Math.max(total.maxLatencyUs, p.maxLatencyUs);
    }
    return total;
  }

  async finish(accepted) {
    const replies = await Promise.all(
      this.children.map((_, i) => this.request(i, { cmd: 'finish', accepted }, 'result')),
    );
    const latency = new Histogram();
    const sum = (key) => replies.reduce((s, r) => s + (r[key] ?? 0), 0);
    // Latencies by slice of send time, merged over the workers (null when not asked for).
    let slices = null;
    for (const reply of replies) {
      if (reply.slices === null || reply.slices === undefined) continue;
      slices ??= [];
      reply.slices.forEach((data, k) => {
        while (slices.length <= k) slices.push(null);
        if (data !== null) (slices[k] ??= new Histogram()).merge(Histogram.fromJSON(data));
      });
    }
    const closeCodes = {};
    for (const reply of replies) {
      latency.merge(Histogram.fromJSON(reply.latencyUs));
      for (const [code, count] of Object.entries(reply.closeCodes))
        closeCodes[code] = (closeCodes[code] ?? 0) + count;
    }
    return {
      matchingClients: sum('matchingClients'),
      delivered: sum('delivered'),
      lost: sum('lost'),
      duplicated: sum('duplicated'),
      unexpected: sum('unexpected'),
      misdelivered: sum('misdelivered'),
      otherEvents: sum('otherEvents'),
      outOfOrder: sum('outOfOrder'),
      controlErrors: sum('controlErrors'),
      heartbeats: sum('heartbeats'),
      closedDuringRun: sum('closedDuringRun'),
      lastDeliveryUs: Math.max(0, ...replies.map((r) => r.lastDeliveryUs ?? 0)),
      closeCodes,
      latency,
      slices,
    };
  }

  async close() {
    this.closing = true;
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (child.connected) child.send({ cmd: 'close' });
            else child.kill('SIGKILL');
          }),
      ),
    );
  }
}
