// Process helpers: spawning with a raised file-descriptor limit, and reading a process's memory and CPU from /proc.

import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The hard limit on open files, which a child may raise its soft limit to (capped: we never need more). */
export const FD_LIMIT = (() => {
  try {
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return hard === 'unlimited' ? 1_048_576 : Number(hard);
  } catch {
    return 1024;
  }
})();

/**
 * Spawns `command args` through `sh -c 'ulimit -n N; exec "$@"'`: Node cannot raise its own limit, and `exec`
 * keeps the pid, so the returned child's pid is the process we measure.
 */
export function spawnWithFdLimit(command, args, options = {}) {
  const limit = Math.min(FD_LIMIT, 1_048_576);
  return spawn('sh', ['-c', `ulimit -n ${limit} 2>/dev/null; exec "$@"`, 'sh', command, ...args], options);
}

/** Resident set size of a process in bytes (VmRSS), or null when it is gone. */
export function readRss(pid) {
  return readStatusKb(pid, 'VmRSS');
}

/** The process's peak resident set size since it started, in bytes (VmHWM, the kernel's high-water mark). */
export function readPeakRss(pid) {
  return readStatusKb(pid, 'VmHWM');
}

function readStatusKb(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User + system CPU time a process has used, in milliseconds, or null when it is gone. */
export function readCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is parenthesised and may contain spaces: fields are counted after its closing paren.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** CPU milliseconds the whole machine has spent busy (all cores, every process) since boot, from /proc/stat. */
export function readMachineBusyMs() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return ((user + nice + system + irq + softirq + (steal || 0)) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** CPU milliseconds used by this process so far. */
export function ownCpuMs() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** A TCP port that was free a moment ago on the loopback interface. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Microseconds on the system-wide monotonic clock (CLOCK_MONOTONIC): comparable across processes. */
export const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);
