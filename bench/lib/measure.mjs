// CPU accounting shared by the scenarios: snapshots of the server's, the generator's and the machine's CPU time, and
// the figures over the window between two of them.

import { performance } from 'node:perf_hooks';
import { ownCpuMs, readCpuMs, readMachineBusyMs } from './proc.mjs';

/**
 * CPU milliseconds so far: the server's, the generator's (this process, the client pool, and any other generator
 * process with a `cpuMs()`, such as the replay client) and the whole machine's.
 */
export function snapshot(server, pool, others = [], peers = []) {
  return {
    wall: performance.now(),
    server: readCpuMs(server.pid),
    // Other server processes of the same run (the cluster scenario's second node): counted apart, not as "other".
    peers: peers.map((p) => readCpuMs(p.pid)),
    generator: ownCpuMs() + (pool ? pool.cpuMs() : 0) + others.reduce((sum, o) => sum + o.cpuMs(), 0),
    machine: readMachineBusyMs(),
  };
}

export function cpuFigures(before, after, activeMs, deliveries, alerts = 0) {
  const serverMs = after.server === null || before.server === null ? NaN : after.server - before.server;
  const generatorMs = after.generator - before.generator;
  const peerMs = (after.peers ?? []).map((ms, i) =>
    ms === null || before.peers?.[i] === null || before.peers?.[i] === undefined ? NaN : ms - before.peers[i],
  );
  // CPU the rest of the machine used meanwhile (other processes, kernel work not charged to ours): a run that
  // shared the cores with something else is not comparable.
  const otherMs =
    after.machine === null || before.machine === null
      ? NaN
      : after.machine - before.machine - serverMs - generatorMs - peerMs.reduce((sum, ms) => sum + ms, 0);
  return {
    serverMs: round(serverMs),
    serverPct: round((serverMs / activeMs) * 100),
    generatorMs: round(generatorMs),
    generatorPct: round((generatorMs / activeMs) * 100),
    otherPct: round((Math.max(0, otherMs) / (after.wall - before.wall)) * 100),
    serverUsPerDelivery: deliveries > 0 ? round((serverMs * 1000) / deliveries) : null,
    serverUsPerAlert: alerts > 0 ? round((serverMs * 1000) / alerts) : null,
    ...(peerMs.length > 0
      ? {
          peers: peerMs.map((ms) => ({
            serverMs: round(ms),
            serverPct: round((ms / activeMs) * 100),
            serverUsPerAlert: alerts > 0 ? round((ms * 1000) / alerts) : null,
          })),
        }
      : {}),
  };
}

export const round = (x) =>
  x === null || x === undefined || !Number.isFinite(x) ? null : Math.round(x * 100) / 100;
