// The alert side of the load generator: POST /v1/alerts over keep-alive connections, open-loop at a fixed rate
// or closed-loop at a fixed concurrency. Each alert's title carries `bench#<seq>@<monotonic µs>` taken just before
// the request is written: it makes the title unique (no deduplication) and lets the WebSocket clients compute
// end-to-end latency and detect lost or duplicated deliveries.

import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Histogram } from './histogram.mjs';
import { TITLE_MARKER } from './protocol.mjs';
import { monotonicUs, sleep } from './proc.mjs';

export class AlertPoster {
  constructor({ port, sockets, severity = 'P0', runId, token = null, batchSize = 1 }) {
    this.port = port;
    /** Alerts per request: 1 posts to `/v1/alerts`, more post `{"alerts": [...]}` to `/v1/alerts/batch`. */
    this.batchSize = batchSize;
    /** `Authorization: Bearer <token>` on every POST when the target runs with authentication. */
    this.authorization = token ? `Bearer ${token}` : null;
    this.severity = severity;
    this.runId = runId;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
    this.nextSeq = 0;
    this.inFlight = 0;
    /** Titles of alerts already sent, reused to post deliberate duplicates. */
    this.titles = [];
    this.reset();
  }

  /** Forgets the counts (after a warm-up); sequence numbers keep increasing. */
  reset() {
    this.firstSeq = this.nextSeq;
    this.accepted = [];
    this.duplicates = 0;
    this.sent = 0;
    this.skipped = 0;
    this.errors = {};
    this.latency = new Histogram();
  }

  /** One alert's body; a `duplicate` reuses the title of an earlier alert so that it is deduplicated. */
  alertBody(duplicate) {
    const seq = this.nextSeq++;
    const sentUs = monotonicUs();
    let title;
    if (duplicate && this.titles.length > 0)
      title = this.titles[Math.floor(Math.random() * this.titles.length)];
    else {
      title = `${TITLE_MARKER}${seq}@${sentUs} ${this.runId}`;
      if (this.titles.length < 1000) this.titles.push(title);
    }
    return {
      seq,
      alert: {
        source: 'bench',
        title,
        description: 'Synthetic alert from the load benchmark',
        severity: this.severity,
        alert_type: 'Infrastructure',
        labels: { bench_run: this.runId, bench_seq: String(seq), env: 'bench' },
        affected_services: ['bench-service'],
      },
    };
  }

  /**
   * Posts one alert, or one batch of `batchSize` alerts (each a `duplicate` with probability `duplicateShare`);
   * every alert of a batch is counted as its own ack says.
   */
  post({ duplicate = false, duplicateShare = 0 } = {}) {
    const batched = this.batchSize > 1;
    const items = batched
      ? Array.from({ length: this.batchSize }, () => this.alertBody(Math.random() < duplicateShare))
      : [this.alertBody(duplicate)];
    const body = JSON.stringify(batched ? { alerts: items.map((i) => i.alert) } : items[0].alert);
    const n = items.length;
    this.sent += n;
    this.inFlight += 1;
    const started = performance.now();
    return new Promise((resolve) => {
      const done = (outcome) => {
        this.inFlight -= 1;
        resolve(outcome);
      };
      const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
      if (this.authorization !== null) headers.authorization = this.authorization;
      const req = http.request(
        {
          host: '127.0.0.1',
          port: this.port,
          path: batched ? '/v1/alerts/batch' : '/v1/alerts',
          method: 'POST',
          agent: this.agent,
          headers,
        },
        (res) => {
          const chunks = [];
          res.on('data', (chunk) => chunks.push(chunk));
          res.on('end', () => {
            this.latency.record((performance.now() - started) * 1000);
            if (res.statusCode !== 200) {
              this.countError(`HTTP ${res.statusCode}`);
              return done('error');
            }
            let acks;
            try {
              const parsed = JSON.parse(Buffer.concat(chunks).toString());
              acks = batched ? parsed.acks : [parsed];
              if (!Array.isArray(acks) || acks.length !== n) throw new Error('acks');
            } catch {
              this.countError('unparsable 200 body');
              return done('error');
            }
            let status;
            for (let i = 0; i < n; i++) {
              status = acks[i]?.status;
              const seq = items[i].seq;
              if (status === 'Accepted') {
                if (seq >= this.firstSeq) this.accepted.push(seq);
              } else if (status === 'Duplicate') this.duplicates += 1;
              else this.countError(`status ${status}`);
            }
            done(status);
          });
          res.on('error', (error) => {
            this.countError(error.code ?? error.message);
            done('error');
          });
        },
      );
      req.on('error', (error) => {
        this.countError(error.code ?? error.message);
        done('error');
      });
      req.end(body);
    });
  }

  countError(key) {
    this.errors[key] = (this.errors[key] ?? 0) + 1;
  }

  /**
   * Open loop: alert i is due at start + i/rate, whether or not earlier ones were answered (no coordinated
   * omission). Requests beyond `maxInFlight` outstanding are skipped and counted. Resolves when every request
   * sent has been answered. `extendWhile()`: after `durationMs`, the load goes on (100 ms at a time) while it
   * returns true, up to `maxDurationMs`.
   */
  async openLoop({ rate, durationMs, maxInFlight = 5000, onTick, extendWhile, maxDurationMs = durationMs }) {
    let total = Math.round((rate * durationMs) / 1000);
    const interval = 1000 / rate;
    const pending = [];
    const start = performance.now();
    let maxLagMs = 0;
    let i = 0;
    while (i < total) {
      const now = performance.now();
      while (i < total && start + i * interval <= now) {
        maxLagMs = Math.max(maxLagMs, now - (start + i * interval));
        if (this.inFlight >= maxInFlight) this.skipped += 1;
        else pending.push(this.post());
        i += 1;
      }
      onTick?.();
      if (i >= total && extendWhile?.() && total * interval < maxDurationMs)
        total += Math.max(1, Math.round(rate / 10));
      if (i < total) await sleep(Math.max(0, Math.min(50, start + i * interval - performance.now())));
    }
    const sendMs = performance.now() - start;
    await Promise.all(pending);
    return { sendMs, answeredMs: performance.now() - start, maxLagMs };
  }

  /**
   * Closed loop: `concurrency` requests outstanding at all times for `durationMs` (or until `count` alerts were
   * sent since the last reset); a share are duplicates.
   */
  async closedLoop({ concurrency, durationMs, count = Infinity, duplicateShare = 0, onTick }) {
    const start = performance.now();
    const deadline = start + durationMs;
    const ticker = setInterval(() => onTick?.(), 250);
    const loop = async () => {
      while (performance.now() < deadline && this.sent < count)
        await this.post({ duplicate: Math.random() < duplicateShare, duplicateShare });
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
    clearInterval(ticker);
    return { sendMs: performance.now() - start, answeredMs: performance.now() - start, maxLagMs: 0 };
  }

  close() {
    this.agent.destroy();
  }
}
