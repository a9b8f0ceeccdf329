#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `npm run bench -- --cpu-prof`): self time by function and by package or
// source directory, and inclusive time of the product's own functions (outside node_modules).
//
//   node bench/profile-summary.mjs bench/results/profiles/<run>/<file>.cpuprofile [--top 30] [--filter dist/]
//                                  [--window FROM_US:TO_US]
//
// --window keeps the samples taken in [FROM_US, TO_US] on the system's monotonic clock in microseconds (V8 stamps
// its profiles with the same clock as process.hrtime), e.g. the `windowUs` of the replay scenario's JSON record.

import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) || 30 : 30;
const filterAt = args.indexOf('--filter');
const ownFilter = filterAt >= 0 ? args[filterAt + 1] : '/dist/';
const windowAt = args.indexOf('--window');
const [windowFrom, windowTo] =
  windowAt >= 0 ? args[windowAt + 1].split(':').map(Number) : [-Infinity, Infinity];
const valueAt = [topAt, filterAt, windowAt].filter((at) => at >= 0).map((at) => at + 1);
const file = args.find((a, i) => !a.startsWith('--') && !valueAt.includes(i));
if (!file) {
  process.stderr.write(
    'usage: node bench/profile-summary.mjs FILE.cpuprofile [--top N] [--filter PATH_PART] [--window FROM_US:TO_US]\n',
  );
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

// Each sample's time stamp, and whether it falls in the --window.
const inWindow = [];
{
  let t = profile.startTime;
  profile.samples.forEach((_, i) => {
    t += profile.timeDeltas[i] ?? 0;
    inWindow.push(t >= windowFrom && t <= windowTo);
  });
}

// Self time per node from the samples and their time deltas (microseconds).
const self = new Map();
let total = 0;
profile.samples.forEach((id, i) => {
  if (!inWindow[i]) return;
  const dt = profile.timeDeltas[i] ?? 0;
  self.set(id, (self.get(id) ?? 0) + dt);
  total += dt;
});

const label = (n) => {
  const f = n.callFrame;
  const where = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};
const group = (n) => {
  const url = n.callFrame.url;
  if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url;
  return shortUrl(url).replace(/\/[^/]*$/, '/');
};

const byFunction = new Map();
const byGroup = new Map();
for (const [id, us] of self) {
  const n = nodes.get(id);
  byFunction.set(label(n), (byFunction.get(label(n)) ?? 0) + us);
  byGroup.set(group(n), (byGroup.get(group(n)) ?? 0) + us);
}

// Inclusive time of the product's own functions (a function counted once per sample even when recursive).
const inclusive = new Map();
profile.samples.forEach((id, i) => {
  if (!inWindow[i]) return;
  const dt = profile.timeDeltas[i] ?? 0;
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const n = nodes.get(cur);
    const url = n.callFrame.url;
    if (!url.includes(ownFilter) || url.includes('node_modules')) continue;
    const key = label(n);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
});

const pct = (us) => `${((us / total) * 100).toFixed(1).padStart(5)} %`;
const print = (title, map) => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${pct(us)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}\n`);
  }
};
process.stdout.write(
  `${file}: ${(total / 1e6).toFixed(2)} s sampled` +
    (windowAt >= 0 ? ` in ${((windowTo - windowFrom) / 1e6).toFixed(2)} s of window` : '') +
    '\n',
);
print('self time by package / directory', byGroup);
print('self time by function', byFunction);
print(`inclusive time of functions under ${ownFilter}`, inclusive);

function shortUrl(url) {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(/^.*\/(dist|src|bench)\//, '$1/');
}
