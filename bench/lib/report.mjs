// Markdown tables from a run's records, and the comparison of the product with the references of the same run.

const KB = 1024;
const MB = 1024 * 1024;

/** The figure that ranks repeated runs of a scenario: the median run by it is the one reported. */
function keyMetric(r) {
  if (!r.ok) return -Infinity;
  if (r.scenario === 'a') return -(r.latencyMs.p99 ?? Infinity);
  if (r.kind === 'fanout') return r.deliveries.perSec;
  if (r.kind === 'idle') return -(r.server.rssPerClientBytes ?? Infinity);
  if (r.kind === 'heartbeat') return -(r.heartbeat.usPerConnectionSecond ?? Infinity);
  if (r.kind === 'replay') return r.withReplay.replay.eventsPerSec;
  if (r.kind === 'cluster') return -(r.summary?.p99Ratio ?? Infinity);
  return r.alerts.answeredPerSec;
}

/** One record per scenario × target: the only one, or the median of the repetitions by the key metric. */
export function representatives(results) {
  const groups = new Map();
  for (const r of results) {
    const key = `${r.scenario}\u0000${r.target}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.values()].map((group) => {
    if (group.length === 1) return group[0];
    const ok = group.filter((r) => r.ok).sort((x, y) => keyMetric(x) - keyMetric(y));
    if (ok.length === 0) return group[0];
    return { ...ok[Math.floor((ok.length - 1) / 2)], medianOf: group.length, okRuns: ok.length };
  });
}

export function markdownReport(run) {
  run = { ...run, results: representatives(run.results) };
  const lines = [];
  lines.push(`## Benchmark run ${run.id}`);
  lines.push('');
  lines.push(
    `${run.startedAt} · ${run.host.cpus} × ${run.host.cpuModel} · Node ${run.host.node} · ` +
      `${run.options.workers} generator processes · command: \`${run.command}\`` +
      (run.options.repeat > 1 ? ` · each row is the median of ${run.options.repeat} runs` : '') +
      (run.quick ? ' · **quick run: scaled down, not comparable with the targets**' : ''),
  );
  lines.push('', authLine(run.options.auth));
  const byScenario = new Map();
  for (const r of run.results) {
    if (!byScenario.has(r.scenario)) byScenario.set(r.scenario, []);
    byScenario.get(r.scenario).push(r);
  }
  for (const [id, records] of byScenario) {
    const scenario = run.scenarios[id];
    lines.push('', `### ${scenario.title}`, '', sizeLine(scenario), '');
    const failed = records.filter((r) => !r.ok);
    const ok = records.filter((r) => r.ok);
    if (ok.length > 0) {
      if (scenario.kind === 'fanout') lines.push(...fanoutTable(ok));
      else if (scenario.kind === 'idle') lines.push(...idleTable(ok));
      else if (scenario.kind === 'heartbeat') lines.push(...heartbeatTable(ok));
      else if (scenario.kind === 'replay') lines.push(...replayTables(ok));
      else if (scenario.kind === 'cluster') lines.push(...clusterTables(ok, run));
      else lines.push(...ingestTable(ok));
    }
    const notes = [
      ...failed.map((r) => `- **${r.target} failed**: ${oneLine(r.error)}`),
      ...ok.flatMap(anomalies),
    ];
    if (notes.length > 0) lines.push('', ...notes);
  }
  const comparisons = compare(run);
  if (comparisons.length > 0) {
    const product = comparisons[0].productTarget;
    lines.push('', `### Product against the references of this run (targets of issue 5)`, '');
    lines.push(
      `| scenario | metric | ${product} | ref-coalesce | ${product}/ref-coalesce | ref-send | ${product}/ref-send | target | met |`,
    );
    lines.push('|---|---|--:|--:|--:|--:|--:|---|---|');
    for (const c of comparisons) {
      lines.push(
        `| ${c.scenario} | ${c.metric} | ${fmt(c.product)} | ${fmt(c.coalesce)} | ${ratio(c.product, c.coalesce)} | ` +
          `${fmt(c.send)} | ${ratio(c.product, c.send)} | ${c.goal} | ${c.met === null ? '–' : c.met ? 'yes' : '**no**'} |`,
      );
    }
  }
  const rows17 = compareIssue17(run);
  if (rows17.length > 0) {
    lines.push('', '### Issue 17: the product against the references of this run', '');
    lines.push('| scenario | metric | target run | measured | against | measured | ratio | target | met |');
    lines.push('|---|---|---|--:|---|--:|--:|---|---|');
    for (const c of rows17) {
      lines.push(
        `| ${c.scenario} | ${c.metric} | ${c.target} | ${fmt(c.value)} | ${c.against ?? '–'} | ${fmt(c.reference)} | ` +
          `${c.reference === null ? '–' : ratio(c.value, c.reference)} | ${c.goal} | ${c.met === null ? '–' : c.met ? 'yes' : '**no**'} |`,
      );
    }
  }
  const authRows = compareAuth(run);
  // Only with both sides in the run (`product` and `product+auth`): an all-authenticated run has nothing to pair.
  if (authRows.some((c) => c.plain !== null && c.plain !== undefined)) {
    lines.push('', '### Authentication on against off in this run', '');
    lines.push(
      '| scenario | metric | product+auth | product | product+auth/product | ref-coalesce | product+auth/ref-coalesce | target | met |',
    );
    lines.push('|---|---|--:|--:|--:|--:|--:|---|---|');
    for (const c of authRows) {
      lines.push(
        `| ${c.scenario} | ${c.metric} | ${fmt(c.auth)} | ${fmt(c.plain)} | ${ratio(c.auth, c.plain)} | ` +
          `${fmt(c.coalesce)} | ${ratio(c.auth, c.coalesce)} | ${c.goal} | ${c.met === null ? '–' : c.met ? 'yes' : '**no**'} |`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

function authLine(auth) {
  if (!auth || auth.mode === 'off') {
    return 'Authentication: **off** (the product runs with `AUTH_MODE=none`; no credential is sent).';
  }
  const products = auth.targets.filter((t) => t.startsWith('product'));
  const references = auth.targets.filter((t) => !t.startsWith('product'));
  return (
    `Authentication: **${auth.mode === 'on' ? 'on' : 'on and off side by side'}** — ` +
    (products.length > 0
      ? `${products.map((t) => `\`${t}\``).join(', ')} with \`AUTH_MODE=required\` and a random per-run ` +
        '`AUTH_JWT_SECRET`; '
      : '') +
    `every POST and WebSocket upgrade to ${auth.targets.map((t) => `\`${t}\``).join(', ')} carries one HS256 JWT ` +
    '(`alerts:write stream:read`)' +
    (references.length > 0
      ? ', which the reference servers verify as the product does (HMAC, expiry and scope on first use, then a cache)'
      : '') +
    (auth.mode === 'on' ? '.' : '; the other targets run without authentication.')
  );
}

/**
 * With `product+auth` in the run: the product with authentication against the same run without it (and against
 * the coalescing reference), for the issue's requirement: (b) ≥ 0.95 × the reference, (c) connect rate ≥ 0.8 ×
 * the product without authentication.
 */
export function compareAuth(run) {
  // A reference run as `ref-x+auth` (verifying the run's token) stands for `ref-x` when that is absent.
  const find = (scenario, target) =>
    run.results.find((r) => r.scenario === scenario && r.target === target && r.ok) ??
    (target.startsWith('ref-')
      ? run.results.find((r) => r.scenario === scenario && r.target === `${target}+auth` && r.ok)
      : undefined);
  const out = [];
  const add = (scenario, metric, get, goal, check) => {
    const a = find(scenario, 'product+auth');
    if (!a) return;
    const p = find(scenario, 'product');
    const c = find(scenario, 'ref-coalesce');
    const auth = get(a);
    const plain = p ? get(p) : null;
    const coalesce = c ? get(c) : null;
    out.push({
      scenario,
      metric,
      auth,
      plain,
      coalesce,
      goal,
      met: check ? check(auth, plain, coalesce) : null,
    });
  };
  add(
    'b',
    'deliveries/s',
    (r) => r.deliveries.perSec,
    '≥ 0.95 × ref-coalesce',
    (a, _p, c) => (c ? a >= 0.95 * c : null),
  );
  add(
    'b',
    'lost + misdelivered',
    (r) => r.deliveries.lost + r.deliveries.misdelivered,
    '0',
    (a) => a === 0,
  );
  add('b', 'p99 latency ms', (r) => r.latencyMs.p99, '–');
  add('b', 'server µs CPU/delivery', (r) => r.cpu.serverUsPerDelivery, '–');
  add('a', 'p99 latency ms', (r) => r.latencyMs.p99, '–');
  add(
    'c',
    'connects/s',
    (r) => r.connect.perSec,
    '≥ 0.8 × product',
    (a, p) => (p ? a >= 0.8 * p : null),
  );
  add(
    'c',
    'KB RSS per idle client',
    (r) => r.server.rssPerClientBytes / KB,
    '≤ 15 KB',
    (a) => a <= 15,
  );
  add(
    'd0',
    'alerts/s answered',
    (r) => r.alerts.answeredPerSec,
    '≥ 2,000/s',
    (a) => a >= 2000,
  );
  add(
    'd1k',
    'alerts/s answered',
    (r) => r.alerts.answeredPerSec,
    '≥ 2,000/s',
    (a) => a >= 2000,
  );
  return out;
}

function sizeLine(s) {
  if (s.kind === 'fanout') {
    return `${s.clients} clients (${s.matching} matching), ${s.rate} alerts/s open loop for ${s.durationS} s after ${s.warmupS} s warm-up; offered ${Math.round(s.rate * s.matching)} deliveries/s.`;
  }
  if (s.kind === 'replay') {
    return (
      `${s.clients} live clients subscribed to ${s.liveFilter === 'all' ? 'every event (`{}`)' : 'incident_created of P0'}, ` +
      `${s.rate} alerts/s open loop for ${s.durationS} s after ${s.warmupS} s warm-up (baseline), then ${s.durationS} s ` +
      `more during which one more client, ${s.replayAtS} s in, subscribes to \`{}\` with \`resume_from\` = head − ` +
      `${s.backlog.toLocaleString('en-US')}; the log was filled before by new alerts, ${s.fillConcurrency} requests in ` +
      'flight. Live latency is measured on incident_created frames as in (b); "during the replay" are the alerts ' +
      'sent between the resuming subscribe and its `replay_complete`.'
    );
  }
  if (s.kind === 'cluster') {
    return (
      `Fan-out: ${s.clients} subscribers (${s.matching} matching), ${s.rate} alerts/s open loop for ${s.durationS} s after ` +
      `${s.warmupS} s warm-up, (1) on one node on PostgreSQL (no Redis), (2) alerts posted to node A, subscribers on ` +
      `node B, both on one fresh PostgreSQL database and one Redis. Ingestion: no subscribers, ${s.concurrency} requests ` +
      `in flight (split evenly over the nodes) for ${s.durationS} s, ${Math.round(s.duplicateShare * 100)} % duplicates.`
    );
  }
  if (s.kind === 'idle')
    return `${s.clients} clients (${s.matching} with a matching subscription), held ${s.durationS} s.`;
  if (s.kind === 'heartbeat') {
    return (
      `${s.clients} clients (${s.matching} with a matching subscription), no alerts, held ${s.durationS} s with the ` +
      `heartbeat every ${s.heartbeatMs / 1000} s on both servers (the product's WS_HEARTBEAT_INTERVAL, the ` +
      `reference's --heartbeat-ms); the server alone measured ${s.baselineS} s before the clients connect.`
    );
  }
  if (s.batchSize > 1) {
    return `${s.clients} subscribers, ${s.concurrency} batches of ${s.batchSize} alerts in flight (POST /v1/alerts/batch) for ${s.durationS} s after ${s.warmupS} s warm-up, ${Math.round(s.duplicateShare * 100)} % duplicates.`;
  }
  return `${s.clients} subscribers (${s.matching} matching), ${s.concurrency} requests in flight for ${s.durationS} s after ${s.warmupS} s warm-up, ${Math.round(s.duplicateShare * 100)} % duplicates.`;
}

function clusterTables(records, run) {
  const rows = [];
  for (const r of records) {
    const { singleFanout: s, twoFanout: t, singleIngest: si, twoIngest: ti } = r.phases;
    const c = r.summary;
    const lossOf = (p) =>
      `${p.deliveries.lost} / ${p.deliveries.duplicated} / ${p.deliveries.misdelivered} / ${p.deliveries.outOfOrder}`;
    rows.push(
      '| fan-out | deliveries/s | p50 ms | p99 ms | max ms | lost / dup / misdelivered / out of order | node CPU (subscribers) | publisher node CPU | µs CPU/alert (subscribers) | µs CPU/alert (publisher) | µs CPU/delivery | generator CPU | other CPU |',
      '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
      `| 1 node | ${fmt(s.deliveries.perSec)} | ${fmt(s.latencyMs.p50)} | ${fmt(s.latencyMs.p99)} | ${fmt(s.latencyMs.max)} | ${lossOf(s)} | ` +
        `${fmt(s.cpu.serverPct)} % | (same) | ${fmt(c.singleUsPerAlert)} | (same) | ${fmt(s.cpu.serverUsPerDelivery)} | ${fmt(s.cpu.generatorPct)} % | ${fmt(s.cpu.otherPct)} % |`,
      `| A → B | ${fmt(t.deliveries.perSec)} | ${fmt(t.latencyMs.p50)} | ${fmt(t.latencyMs.p99)} | ${fmt(t.latencyMs.max)} | ${lossOf(t)} | ` +
        `B ${fmt(t.cpu.serverPct)} % | A ${fmt(t.cpu.peers[0].serverPct)} % | ${fmt(c.nodeBUsPerAlert)} | ${fmt(c.nodeAUsPerAlert)} | ${fmt(t.cpu.serverUsPerDelivery)} | ${fmt(t.cpu.generatorPct)} % | ${fmt(t.cpu.otherPct)} % |`,
      '',
      `p99 A → B / 1 node: **${fmt(c.p99Ratio)}×** (target ≤ 1.5×: ${c.p99Ratio !== null && c.p99Ratio <= 1.5 ? 'met' : '**not met**'}). ` +
        `Node B only relays: ${fmt(c.nodeBUsPerAlert)} µs CPU per event (log read after Redis's message + fan-out to ` +
        `${t.connect.ok} subscribers). Broker hop, (A + B) − 1 node: ${fmt(c.hopUsPerAlert)} µs CPU per event.`,
      '',
    );
    const d0 = run.results.find((x) => x.scenario === 'd0' && x.ok && x.target === r.target);
    rows.push(
      '| ingestion (32 in flight) | alerts/s answered | new incidents/s | errors | POST p50 ms | POST p99 ms | server CPU | µs CPU/alert | other CPU |',
      '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    );
    const ingestRow = (name, p, cpuText, perAlert) => {
      const errors = Object.values(p.alerts.errors).reduce((sum, n) => sum + n, 0);
      return (
        `| ${name} | ${fmt(p.alerts.answeredPerSec)} | ${fmt(p.alerts.acceptedPerSec)} | ${errors} | ` +
        `${fmt(p.alerts.postLatencyMs.p50)} | ${fmt(p.alerts.postLatencyMs.p99)} | ${cpuText} | ${perAlert} | ${fmt(p.cpu.otherPct)} % |`
      );
    };
    if (d0)
      rows.push(
        ingestRow('SQLite, 1 node (d0)', d0, `${fmt(d0.cpu.serverPct)} %`, fmt(d0.cpu.serverUsPerAlert)),
      );
    rows.push(
      ingestRow('PostgreSQL, 1 node', si, `${fmt(si.cpu.serverPct)} %`, fmt(si.cpu.serverUsPerAlert)),
    );
    rows.push(
      ingestRow(
        'PostgreSQL, 2 nodes',
        ti,
        `A ${fmt(ti.cpu.serverPct)} % + B ${fmt(ti.cpu.peers[0].serverPct)} %`,
        `${fmt(ti.cpu.serverUsPerAlert + ti.cpu.peers[0].serverUsPerAlert)} (both)`,
      ),
    );
    rows.push(
      '',
      "Other CPU: the machine's busy time not spent by the product node(s) or the generator (PostgreSQL and Redis count here).",
    );
  }
  return rows;
}

function fanoutTable(records) {
  const rows = [
    '| target | clients ok | alerts/s answered | deliveries/s | p50 ms | p95 ms | p99 ms | max ms | lost | dup | misdelivered | closed | server CPU | µs CPU/delivery | µs CPU/alert | generator CPU | RSS/client | RSS peak MB |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of records) {
    const d = r.deliveries;
    rows.push(
      `| ${r.target} | ${r.connect.ok} | ${fmt(r.alerts.answeredPerSec)}${errorNote(r)} | ${fmt(d.perSec)} | ` +
        `${fmt(r.latencyMs.p50)} | ${fmt(r.latencyMs.p95)} | ${fmt(r.latencyMs.p99)} | ${fmt(r.latencyMs.max)} | ` +
        `${d.lost} | ${d.duplicated} | ${d.misdelivered} | ${d.closedDuringRun} | ${fmt(r.cpu.serverPct)} % | ` +
        `${fmt(r.cpu.serverUsPerDelivery)} | ${fmt(r.cpu.serverUsPerAlert)} | ${fmt(r.cpu.generatorPct)} % | ` +
        `${kb(r.server.rssPerClientBytes)} | ${mb(r.server.rssPeakBytes)} |`,
    );
  }
  return rows;
}

function replayTables(records) {
  const rows = [
    '| target | fill: alerts | s | alerts/s | log head | events/s | server CPU |',
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of records) {
    const f = r.fill;
    rows.push(
      `| ${r.target} | ${fmt(f.alertsAccepted)} | ${fmt(f.seconds)} | ${fmt(f.alertsPerSec)} | ${fmt(f.head)} | ` +
        `${fmt(f.eventsPerSec)} | ${fmt(f.cpu.serverPct)} % |`,
    );
  }
  rows.push(
    '',
    '| target | live clients, phase | alerts/s answered | incident_created/s | all frames/s | p50 ms | p95 ms | p99 ms | max ms | lost | dup | closed | server CPU | generator CPU | other CPU | RSS start MB | RSS peak MB |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  for (const r of records) {
    for (const [label, p] of [
      ['baseline (no replay)', r.baseline],
      ['with the replay, whole phase', r.withReplay],
    ]) {
      const d = p.deliveries;
      const frames = ((d.delivered + d.otherEvents) / p.windowMs) * 1000;
      rows.push(
        `| ${r.target} | ${label} | ${fmt(p.alerts.answeredPerSec)} | ${fmt(d.perSec)} | ${fmt(frames)} | ` +
          `${fmt(p.latencyMs.p50)} | ${fmt(p.latencyMs.p95)} | ${fmt(p.latencyMs.p99)} | ${fmt(p.latencyMs.max)} | ` +
          `${d.lost} | ${d.duplicated} | ${d.closedDuringRun} | ${fmt(p.cpu.serverPct)} % | ${fmt(p.cpu.generatorPct)} % | ` +
          `${fmt(p.cpu.otherPct)} % | ${mb(p.rss.startBytes)} | ${mb(p.rss.peakBytes)} |`,
      );
    }
    const w = r.withReplay.replayWindow;
    if (w) {
      const x = w.resources;
      rows.push(
        `| ${r.target} | during the replay (${fmt(w.alerts)} alerts) | – | – | – | ${fmt(w.latencyMs.p50)} | ` +
          `${fmt(w.latencyMs.p95)} | ${fmt(w.latencyMs.p99)} | ${fmt(w.latencyMs.max)} | – | – | – | ` +
          `${fmt(x.serverCpuPct)} % | ${fmt(x.generatorCpuPct)} % | ${fmt(x.otherCpuPct)} % | ${mb(x.rssBeforeBytes)} | ` +
          `${mb(x.rssPeakBytes)} |`,
      );
      const o = r.withReplay.outsideReplay.latencyMs;
      rows.push(
        `| ${r.target} | outside the replay, same phase | – | – | – | ${fmt(o.p50)} | ${fmt(o.p95)} | ${fmt(o.p99)} | ` +
          `${fmt(o.max)} | – | – | – | – | – | – | – | – |`,
      );
    }
  }
  rows.push(
    '',
    '| target | resume_from | subscribed position | replay_complete position | replayed | subscribed ms | first event ms | replay_complete s | events/s | events/s after the first | best 100 ms, events/s | MB/s | server CPU | resuming client CPU | RSS before MB | RSS peak MB | RSS after MB | gaps | holes / out of order | live from replay_complete.position + 1 |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  );
  for (const r of records) {
    const x = r.withReplay.replay;
    const w = r.withReplay.replayWindow.resources;
    const gaps = x.gaps.reduce((n, g) => n + g.dropped, 0);
    rows.push(
      `| ${r.target} | ${fmt(x.resumeFrom)} | ${fmt(x.position)} | ${fmt(x.completePosition)} | ${fmt(x.replayed)} | ` +
        `${fmt(x.subscribedMs)} | ` +
        `${fmt(x.firstEventMs)} | ${x.aborted ? `**closed ${x.closeCode}** after ${fmt(x.completeMs / 1000)}` : fmt(x.completeMs / 1000)} | ` +
        `${fmt(x.eventsPerSec)} | ${fmt(x.streamEventsPerSec)} | ` +
        `${fmt(x.peakEventsPerSec)} | ${fmt(x.mbPerSec)} | ${fmt(w.serverCpuPct)} % | ${fmt(w.replayClientCpuPct)} % | ` +
        `${mb(w.rssBeforeBytes)} | ${mb(w.rssPeakBytes)} | ${mb(w.rssEndBytes)} | ` +
        `${x.gaps.length === 0 ? 0 : `${x.gaps.length} (${gaps} dropped)`} | ${x.holes} / ${x.outOfOrder + x.outOfRange} | ` +
        `${x.liveContinuesAtPosition === null ? '–' : x.liveContinuesAtPosition ? 'yes' : '**no**'} |`,
    );
  }
  rows.push('', '| target | metric | measured | target | met |', '|---|---|--:|---|---|');
  for (const r of records) {
    const x = r.withReplay.replay;
    const w = r.withReplay.replayWindow;
    const same = w.baselineSameLengthP99;
    rows.push(
      `| ${r.target} | replay events/s (${fmt(x.replayed)} events, subscribe → replay_complete) | ${fmt(x.eventsPerSec)}${x.aborted ? ` (closed ${x.closeCode} after ${fmt(x.replayed)} events)` : ''} | ≥ 50,000 | ${x.eventsPerSec >= 50000 && !x.aborted ? 'yes' : '**no**'} |`,
      `| ${r.target} | live p99 during the replay ÷ baseline p99 (${fmt(w.latencyMs.p99)} ÷ ${fmt(r.baseline.latencyMs.p99)} ms) | ${fmt(w.p99Ratio)}× | ≤ 1.5× | ${w.p99Ratio !== null && w.p99Ratio <= 1.5 ? 'yes' : '**no**'} |`,
      `| ${r.target} | baseline p99 over windows as long as the replay: median / max | ${same ? `${fmt(same.medianMs)} / ${fmt(same.maxMs)} ms` : '– (the replay outlasted the baseline phase)'} | – | – |`,
      `| ${r.target} | server RSS during the replay: before → peak (growth) | ${mb(w.resources.rssBeforeBytes)} → ${mb(w.resources.rssPeakBytes)} MB (+${mb(w.resources.rssPeakBytes - w.resources.rssBeforeBytes)}) | bounded | – |`,
      `| ${r.target} | server RSS peak in the baseline phase (same live load, no replay) | ${mb(r.baseline.rss.peakBytes)} MB | – | – |`,
    );
  }
  for (const r of records) {
    rows.push(
      '',
      `${r.target}: live p99 ms by second of the phase with the replay (alerts sent in that second; the replay ` +
        `ran from ${fmt(r.withReplay.replay.startedAtMs / 1000)} s for ${fmt(r.withReplay.replay.completeMs / 1000)} s): ` +
        r.withReplay.p99BySecondMs.map((v) => fmt(v)).join(', ') +
        `; baseline: ${r.baseline.p99BySecondMs.map((v) => fmt(v)).join(', ')}.`,
    );
  }
  return rows;
}

function idleTable(records) {
  const rows = [
    '| target | clients ok | failed | connect wall s | connects/s | connect p50 ms | connect p99 ms | RSS before MB | RSS after MB | RSS/client | RSS peak MB | server CPU idle |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of records) {
    const c = r.connect;
    rows.push(
      `| ${r.target} | ${c.ok} | ${c.failed} | ${fmt(c.wallMs / 1000)} | ${fmt(c.perSec)} | ${fmt(c.p50Ms)} | ${fmt(c.p99Ms)} | ` +
        `${mb(r.server.rssIdleBytes)} | ${mb(r.server.rssConnectedBytes)} | ${kb(r.server.rssPerClientBytes)} | ` +
        `${mb(r.server.rssPeakBytes)} | ${fmt(r.cpu.serverPct)} % |`,
    );
  }
  return rows;
}

function heartbeatTable(records) {
  const rows = [
    '| target | clients ok | connects/s | heartbeat s | first round s | window s | heartbeats received / expected | closed | server CPU | server alone | µs/s CPU per connection | net of the server alone | RSS/client | RSS peak MB | generator CPU |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of records) {
    const h = r.heartbeat;
    rows.push(
      `| ${r.target} | ${r.connect.ok} | ${fmt(r.connect.perSec)} | ${fmt(h.periodMs / 1000)} | ` +
        `${fmt(h.firstRound.seconds)} | ${fmt(h.seconds)} | ` +
        `${fmt(h.received)} / ${fmt(h.expected)} | ${h.closedDuringRun} | ${fmt(r.cpu.serverPct)} % | ` +
        `${fmt(h.aloneServerPct)} % | ${fmt(h.usPerConnectionSecond)} | ${fmt(h.netUsPerConnectionSecond)} | ` +
        `${kb(r.server.rssPerClientBytes)} | ${mb(r.server.rssPeakBytes)} | ${fmt(r.cpu.generatorPct)} % |`,
    );
  }
  return rows;
}

function ingestTable(records) {
  const rows = [
    '| target | subscribers | alerts/s answered | new incidents/s | duplicates | errors | POST p50 ms | POST p99 ms | deliveries | lost | misdelivered | server CPU | µs CPU/alert | µs CPU/delivery | generator CPU | RSS peak MB |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of records) {
    const d = r.deliveries;
    const errors = Object.values(r.alerts.errors).reduce((s, n) => s + n, 0);
    rows.push(
      `| ${r.target} | ${r.connect?.ok ?? 0} | ${fmt(r.alerts.answeredPerSec)} | ${fmt(r.alerts.acceptedPerSec)} | ` +
        `${r.alerts.duplicates} | ${errors} | ${fmt(r.alerts.postLatencyMs.p50)} | ${fmt(r.alerts.postLatencyMs.p99)} | ` +
        `${d ? d.delivered : '–'} | ${d ? d.lost : '–'} | ${d ? d.misdelivered : '–'} | ${fmt(r.cpu.serverPct)} % | ` +
        `${fmt(r.cpu.serverUsPerAlert)} | ${fmt(r.cpu.serverUsPerDelivery)} | ${fmt(r.cpu.generatorPct)} % | ` +
        `${mb(r.server.rssPeakBytes)} |`,
    );
  }
  return rows;
}

/** The issue's targets, each as measured and as a ratio to the references measured in the same run. */
export function compare(run) {
  // A reference run as `ref-x+auth` (verifying the run's token) stands for `ref-x` when that is absent.
  const find = (scenario, target) =>
    run.results.find((r) => r.scenario === scenario && r.target === target && r.ok) ??
    (target.startsWith('ref-')
      ? run.results.find((r) => r.scenario === scenario && r.target === `${target}+auth` && r.ok)
      : undefined);
  const out = [];
  // The product as run without authentication, or with it when the run has only `product+auth` (--auth).
  const productTarget = run.results.some((r) => r.target === 'product') ? 'product' : 'product+auth';
  const add = (scenario, metric, get, goal, check) => {
    const p = find(scenario, productTarget);
    if (!p) return;
    const c = find(scenario, 'ref-coalesce');
    const s = find(scenario, 'ref-send');
    const product = get(p);
    const coalesce = c ? get(c) : null;
    const send = s ? get(s) : null;
    out.push({
      scenario,
      metric,
      productTarget,
      product,
      coalesce,
      send,
      goal,
      met: check ? check(product, coalesce, p) : null,
    });
  };
  add(
    'b',
    'deliveries/s',
    (r) => r.deliveries.perSec,
    '≥ 0.8 × ref-coalesce',
    (p, c) => (c ? p >= 0.8 * c : null),
  );
  add(
    'b',
    'lost + misdelivered',
    (r) => r.deliveries.lost + r.deliveries.misdelivered,
    '0',
    (p) => p === 0,
  );
  add(
    'b',
    'p99 latency ms',
    (r) => r.latencyMs.p99,
    '< 300 ms',
    (p) => p !== null && p < 300,
  );
  add('b', 'server µs CPU/delivery', (r) => r.cpu.serverUsPerDelivery, '–');
  add(
    'a',
    'p99 latency ms',
    (r) => r.latencyMs.p99,
    '≤ 1.5 × ref-coalesce',
    (p, c) => (c ? p <= 1.5 * c : null),
  );
  add(
    'a',
    'lost + misdelivered',
    (r) => r.deliveries.lost + r.deliveries.misdelivered,
    '0',
    (p) => p === 0,
  );
  add(
    'c',
    'KB RSS per idle client',
    (r) => r.server.rssPerClientBytes / KB,
    '≤ 15 KB',
    (p) => p <= 15,
  );
  add(
    'd0',
    'alerts/s answered',
    (r) => r.alerts.answeredPerSec,
    '≥ 2,000/s',
    (p) => p >= 2000,
  );
  add(
    'd1k',
    'alerts/s answered',
    (r) => r.alerts.answeredPerSec,
    '≥ 2,000/s',
    (p) => p >= 2000,
  );
  return out;
}

/** Flags of a target name (`product+auth+pg` -> base product, auth, pg). */
function targetFlags(name) {
  const [base, ...flags] = name.split('+');
  return { base, auth: flags.includes('auth'), pg: flags.includes('pg'), deflate: flags.includes('deflate') };
}

/**
 * Issue 17's targets, each as a ratio against a reference measured in the same run: the product with
 * authentication when the run has it (the issue measures with authentication on), else without; `ws` references
 * (ref-coalesce) for (b), (b10k), (c) and (idle); the durable-ingestion reference (ref-ingest) for (d0); the
 * product's own single-alert rate for (dbatch); PostgreSQL (`product+pg`) next to them.
 */
export function compareIssue17(run) {
  const names = [...new Set(run.results.filter((r) => r.ok).map((r) => r.target))];
  const pick = (base, pg) => {
    const candidates = names.filter((n) => {
      const f = targetFlags(n);
      return f.base === base && f.pg === pg && !f.deflate;
    });
    return candidates.find((n) => targetFlags(n).auth) ?? candidates[0] ?? null;
  };
  const product = pick('product', false);
  const productPg = pick('product', true);
  const coalesce = pick('ref-coalesce', false);
  const ingest = pick('ref-ingest', false);
  const find = (scenario, target) =>
    target === null
      ? undefined
      : run.results.find((r) => r.scenario === scenario && r.target === target && r.ok);
  const out = [];
  const add = (scenario, metric, target, get, against, againstScenario, goal, check) => {
    const r = find(scenario, target);
    if (!r) return;
    const ref = find(againstScenario ?? scenario, against);
    const value = get(r);
    const reference = ref ? get(ref) : null;
    const usable = value !== null && value !== undefined && Number.isFinite(value);
    out.push({
      scenario,
      metric,
      target,
      value,
      against: against === null ? null : againstScenario ? `${against} (${againstScenario})` : against,
      reference,
      goal,
      met: check && usable ? check(value, reference) : null,
    });
  };
  const atLeast = (k) => (v, ref) => (ref ? v >= k * ref : null);
  const atMost = (k) => (v, ref) => (ref ? v <= k * ref : null);
  const deliveries = (r) => r.deliveries.perSec;
  const p99 = (r) => r.latencyMs.p99;
  for (const [scenario, p99Goal] of [
    ['b', 1.2],
    ['b10k', 1.5],
  ]) {
    add(scenario, 'deliveries/s', product, deliveries, coalesce, null, '≥ 1.0 × ref', atLeast(1));
    add(scenario, 'p99 latency ms', product, p99, coalesce, null, `≤ ${p99Goal} × ref`, atMost(p99Goal));
    add(
      scenario,
      'lost',
      product,
      (r) => r.deliveries.lost,
      coalesce,
      null,
      '0',
      (v) => v === 0,
    );
    add(
      scenario,
      'misdelivered',
      product,
      (r) => r.deliveries.misdelivered,
      coalesce,
      null,
      '0',
      (v) => v === 0,
    );
    add(scenario, 'server µs CPU/delivery', product, (r) => r.cpu.serverUsPerDelivery, coalesce, null, '–');
    add(scenario, 'server µs CPU/alert', product, (r) => r.cpu.serverUsPerAlert, coalesce, null, '–');
    add(scenario, 'RSS peak MB', product, (r) => r.server.rssPeakBytes / MB, coalesce, null, '–');
  }
  add(
    'c',
    'KB RSS per idle connection',
    product,
    (r) => r.server.rssPerClientBytes / KB,
    coalesce,
    null,
    '≤ 1.05 × ref',
    atMost(1.05),
  );
  add(
    'c',
    'connects/s (to all clients)',
    product,
    (r) => r.connect.perSec,
    coalesce,
    null,
    '≥ 0.9 × ref',
    atLeast(0.9),
  );
  add('c', 'RSS peak MB', product, (r) => r.server.rssPeakBytes / MB, coalesce, null, '–');
  add(
    'idle',
    'µs/s CPU per idle connection',
    product,
    (r) => r.heartbeat.usPerConnectionSecond,
    coalesce,
    null,
    '≤ 1.2 × ref',
    atMost(1.2),
  );
  add(
    'idle',
    'µs/s CPU per idle connection (absolute)',
    product,
    (r) => r.heartbeat.usPerConnectionSecond,
    null,
    null,
    '< 4.7 (Centrifugo)',
    (v) => v < 4.7,
  );
  add(
    'idle',
    'µs/s net of the server alone',
    product,
    (r) => r.heartbeat.netUsPerConnectionSecond,
    coalesce,
    null,
    '–',
  );
  add('idle', 'RSS peak MB', product, (r) => r.server.rssPeakBytes / MB, coalesce, null, '–');
  const alertsPerSec = (r) => r.alerts.answeredPerSec;
  const usPerAlert = (r) => r.cpu.serverUsPerAlert;
  add('d0', 'alerts/s answered', product, alertsPerSec, ingest, null, '≥ 0.8 × ref', atLeast(0.8));
  add('d0', 'server µs CPU/alert', product, usPerAlert, ingest, null, '–');
  add('d0', 'RSS peak MB', product, (r) => r.server.rssPeakBytes / MB, ingest, null, '–');
  add('d0', 'alerts/s answered (PostgreSQL)', productPg, alertsPerSec, ingest, null, '– (reported)');
  add('d0', 'server µs CPU/alert (PostgreSQL)', productPg, usPerAlert, ingest, null, '–');
  add('dbatch', 'alerts/s answered', product, alertsPerSec, product, 'd0', '≥ 5 × single', atLeast(5));
  add('dbatch', 'server µs CPU/alert', product, usPerAlert, product, 'd0', '–');
  add('dbatch', 'alerts/s answered against ref-ingest', product, alertsPerSec, ingest, null, '–');
  add('dbatch', 'alerts/s answered (PostgreSQL)', productPg, alertsPerSec, productPg, 'd0', '– (reported)');
  add('dbatch', 'alerts/s answered (reference)', ingest, alertsPerSec, ingest, 'd0', '–');
  return out;
}

/** What went wrong in a run that completed: each is a line under the scenario's table. */
function anomalies(r) {
  const out = [];
  const c = r.connect;
  if (c && c.failed > 0) out.push(`${c.failed} clients failed to connect: ${JSON.stringify(c.errors)}`);
  if (r.alerts) {
    const errors = Object.entries(r.alerts.errors);
    if (errors.length > 0) out.push(`POST errors: ${JSON.stringify(r.alerts.errors)}`);
    if (r.alerts.skipped > 0) out.push(`${r.alerts.skipped} alerts skipped (too many requests outstanding)`);
  }
  if (r.kind === 'replay') {
    for (const [label, p] of [
      ['baseline', r.baseline],
      ['with the replay', r.withReplay],
    ]) {
      const d = p?.deliveries;
      if (!d) continue;
      if (d.closedDuringRun > 0)
        out.push(`${label}: ${d.closedDuringRun} live clients closed: ${JSON.stringify(d.closeCodes)}`);
      if (d.lost + d.duplicated + d.misdelivered + d.outOfOrder > 0)
        out.push(
          `${label}: lost ${d.lost}, duplicated ${d.duplicated}, misdelivered ${d.misdelivered}, out of order ${d.outOfOrder}`,
        );
      if (Object.keys(p.alerts.errors).length > 0)
        out.push(`${label}: POST errors: ${JSON.stringify(p.alerts.errors)}`);
      if (p.cpu.otherPct > 15)
        out.push(
          `${label}: other processes used ${Math.round(p.cpu.otherPct)} % of a core: the machine was not quiet`,
        );
    }
    const x = r.withReplay?.replay;
    if (x) {
      if (x.aborted)
        out.push(`the resuming connection was closed (${x.closeCode}) after ${x.replayed} replayed events`);
      if (x.outlastedLiveLoad) out.push('the replay outlasted the live load');
      if (x.errors.length > 0) out.push(`resuming client: ${x.errors.join('; ')}`);
      if (x.gaps.length > 0) out.push(`resuming client got gap messages: ${JSON.stringify(x.gaps)}`);
      if (!x.aborted && x.replayedAnnounced !== x.replayed)
        out.push(
          `replay_complete announced ${x.replayedAnnounced} replayed, ${x.replayed} event frames arrived`,
        );
    }
    return out.map((text) => `- ${r.target}: ${text}`);
  }
  const h = r.heartbeat;
  if (h) {
    if (h.closedDuringRun > 0)
      out.push(`${h.closedDuringRun} idle clients closed by the server: ${JSON.stringify(h.closeCodes)}`);
    if (h.firstRound.clients < h.connections)
      out.push(
        `only ${h.firstRound.clients} of ${h.connections} clients had been heartbeated when the window began`,
      );
    if (h.received < 0.9 * h.expected)
      out.push(`only ${h.received} heartbeats of about ${h.expected} expected reached the clients`);
  }
  const d = r.deliveries;
  if (d) {
    if (d.closedDuringRun > 0)
      out.push(`${d.closedDuringRun} clients closed by the server: ${JSON.stringify(d.closeCodes)}`);
    if (d.unexpected > 0) out.push(`${d.unexpected} frames for alerts that were not accepted`);
    if (d.outOfOrder > 0) out.push(`${d.outOfOrder} frames whose sequence did not increase`);
    if (d.controlErrors > 0) out.push(`${d.controlErrors} error or unparsable control frames`);
  }
  if (r.cpu?.otherPct > 15) {
    out.push(
      `other processes used ${Math.round(r.cpu.otherPct)} % of a core meanwhile: the machine was not quiet`,
    );
  }
  return out.map((text) => `- ${r.target}: ${text}`);
}

function errorNote(r) {
  const errors = Object.values(r.alerts.errors).reduce((s, n) => s + n, 0) + r.alerts.skipped;
  return errors > 0 ? ` (${errors} failed)` : '';
}

function fmt(x) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

const ratio = (a, b) => (a === null || b === null || !b ? '–' : `${(a / b).toFixed(2)}×`);
const kb = (bytes) => (bytes === null || bytes === undefined ? '–' : `${(bytes / KB).toFixed(1)} KB`);
const mb = (bytes) => (bytes === null || bytes === undefined ? '–' : (bytes / MB).toFixed(1));
const oneLine = (text) => String(text).split('\n')[0].slice(0, 300);
