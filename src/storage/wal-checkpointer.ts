import { Logger } from '@nestjs/common';
import { Worker } from 'node:worker_threads';

/** How often the worker copies committed WAL frames into the database file. */
const CHECKPOINT_INTERVAL_MS = 50;

/** The longest an idle database goes unchecked (see WORKER_SOURCE). */
const IDLE_MAX_MS = 1000;

/**
 * The checkpointer's code, run as an eval'd worker (no separate file, so it runs the same from `dist/` and from
 * the TypeScript sources under the tests). A PASSIVE checkpoint never blocks the writer.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driverPath);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 0');
const walPath = workerData.path + '-wal';
// The WAL file as it was when a checkpoint last copied all of it: a commit changes its size or modification time
// (a checkpoint only reads it), so while it stays so (an idle server) there is nothing to copy.
let copied = null;
const walState = () => {
  const stat = statSync(walPath, { bigint: true, throwIfNoEntry: false });
  return stat === undefined ? null : stat.size + ':' + stat.mtimeNs;
};
// Rounds come every intervalMs while there are commits; an idle database is looked at less and less often (up to
// every IDLE_MAX_MS), and the first round that finds a commit brings the interval back.
const IDLE_MAX_MS = ${IDLE_MAX_MS};
let delay = workerData.intervalMs;
const checkpoint = () => {
  try {
    const before = walState();
    if (before !== null && before === copied) {
      delay = Math.min(delay * 2, Math.max(IDLE_MAX_MS, workerData.intervalMs));
      return;
    }
    delay = workerData.intervalMs;
    const [result] = db.pragma('wal_checkpoint(PASSIVE)');
    copied = result !== undefined && result.busy === 0 && result.log === result.checkpointed ? before : null;
  } catch {
    // Busy or interrupted: the next round, or the writer's own automatic checkpoint, takes over.
    copied = null;
  }
};
let timer;
const round = () => {
  checkpoint();
  timer = setTimeout(round, delay);
};
timer = setTimeout(round, delay);
parentPort.on('message', () => {
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints an SQLite database in WAL mode from a worker thread with its own connection. Copying committed
 * pages from the WAL into the database file (and its fsyncs) was about half of what a commit cost the main thread
 * under an alert storm (bench/README.md); done here, it runs on another core while the main thread goes on
 * committing. The main connection keeps a high automatic-checkpoint threshold as a safety net should this worker
 * fall behind.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  constructor(path: string, intervalMs = CHECKPOINT_INTERVAL_MS) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, intervalMs, driverPath: require.resolve('better-sqlite3') },
    });
    this.worker.unref();
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
    // A failing checkpointer only means the writer checkpoints by itself again; it must not take the server down.
    this.worker.on('error', (error) =>
      new Logger(WalCheckpointer.name).warn(
        `WAL checkpointer stopped (the writer checkpoints by itself from now on): ${error.message}`,
      ),
    );
  }

  /** Stops checkpointing and closes the worker's connection. */
  async stop(): Promise<void> {
    // Unreferenced, the worker would not keep the process alive until it exits: with nothing else left to run,
    // the process ended here, in the middle of shutdown, before the database closed.
    this.worker.ref();
    this.worker.postMessage('stop');
    await this.exited;
  }
}
