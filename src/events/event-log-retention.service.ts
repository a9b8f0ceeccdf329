import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter } from 'prom-client';
import { Clock, Timer } from '../clock/clock';
import { APP_CONFIG, AppConfig, EventLogConfig } from '../config/app-config';
import { Metric, PruneReason } from '../metrics/metric-names';
import { zeroSeries } from '../metrics/zero-series';
import { EventLogRetentionRepository } from './event-log-retention.repository';

/**
 * How often the log is pruned. A minute keeps it close to its limits (at 10,000 events per second it outgrows
 * EVENT_LOG_MAX_EVENTS by at most 600,000 between two rounds, where an hour would be 36 million), and a round with
 * nothing to do costs two reads by primary key.
 */
export const PRUNE_INTERVAL_MS = 60_000;

/**
 * Most entries deleted by one statement. On SQLite a statement runs on the main thread (better-sqlite3 is
 * synchronous): deleting 1000 entries of 1.5 KB took about 10 ms, 250 about 2.5 ms (about 10 µs an entry, with the
 * index), so 500 holds the event loop about 5 ms at a time. Between chunks the pruner yields to the event loop, so a
 * long backlog never holds writers up for more than one chunk at a time.
 */
export const PRUNE_CHUNK = 500;

/** What one round pruned. */
export interface PruneResult {
  /** Entries older than EVENT_LOG_RETENTION_DAYS. */
  age: number;
  /** Entries beyond EVENT_LOG_MAX_EVENTS. */
  count: number;
}

/** The stored range of the log as `GET /v1/events` answers it; both 0 while the log is empty. */
export interface EventLogBounds {
  oldest_sequence: number;
  head_sequence: number;
}

/**
 * Retention of the event log (contract section 7): in the background, at start and then every minute, deletes the
 * entries older than EVENT_LOG_RETENTION_DAYS and those whose sequence is EVENT_LOG_MAX_EVENTS or more below the
 * head's, oldest first, so that what is stored is always one unbroken range of sequences up to the head. The head
 * entry itself is never deleted, however old: `max(sequence)` stays the log's position after a restart.
 *
 * Age is judged by `created_at`, read by primary key a chunk at a time: entries are stored in the order they were
 * recorded, so their times only grow with their sequence (if the wall clock steps back, a later entry with an
 * earlier time waits for the ones before it). No index on `created_at` is needed.
 *
 * Nothing is pruned once shutdown has begun: a round in progress stops after its current chunk.
 *
 * With several nodes on one PostgreSQL database, a round runs under an advisory lock: one node prunes at a time, a
 * node that finds the lock taken skips its round (the next one is a minute later).
 */
@Injectable()
export class EventLogRetentionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventLogRetentionService.name);
  private readonly config: EventLogConfig;
  private timer: Timer | null = null;
  /** The round in progress (and those queued behind it), if any. */
  private running: Promise<PruneResult> | null = null;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly clock: Clock,
    private readonly repository: EventLogRetentionRepository,
    @InjectMetric(Metric.EventLogPruned) private readonly pruned: Counter<string>,
  ) {
    this.config = config.eventLog;
    zeroSeries(pruned, { reason: Object.values(PruneReason) });
  }

  /** Starts pruning in the background: the first round now (startup does not wait for it), then every minute. */
  onApplicationBootstrap(): void {
    if (this.config.retentionMs === null && this.config.maxEvents === null) return;
    this.timer = this.clock.setInterval(() => this.tick(), PRUNE_INTERVAL_MS);
    this.tick();
  }

  /** Stops the timer and waits for the round in progress to finish its current chunk. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /**
   * The stored range of the log: the sequences of its oldest and newest entries. Read after the entries a request
   * answers with, so that a client comparing its position with `oldest_sequence` sees a prune that ran meanwhile.
   */
  async bounds(): Promise<EventLogBounds> {
    const { oldest, head } = await this.repository.bounds();
    return { oldest_sequence: oldest ?? 0, head_sequence: head };
  }

  /** Runs one round now, after the one in progress if any; resolves with what it pruned. */
  prune(): Promise<PruneResult> {
    const round = (this.running ?? Promise.resolve()).catch(() => undefined).then(() => this.pruneOnce());
    this.running = round;
    round
      .finally(() => {
        if (this.running === round) this.running = null;
      })
      .catch(() => undefined);
    return round;
  }

  /** A timer's round: skipped while one is still running (a long backlog), logged if it fails. */
  private tick(): void {
    if (this.stopped || this.running !== null) return;
    this.prune().catch((error: unknown) =>
      this.logger.warn(`event log pruning failed (retried in a minute): ${String(error)}`),
    );
  }

  /** One round, unless another node is pruning the same database (then nothing, and this node skips the round). */
  private async pruneOnce(): Promise<PruneResult> {
    const result: PruneResult = { age: 0, count: 0 };
    const { retentionMs, maxEvents } = this.config;
    if (this.stopped || (retentionMs === null && maxEvents === null)) return result;
    return (await this.repository.exclusively(() => this.pruneRound(result))) ?? result;
  }

  private async pruneRound(result: PruneResult): Promise<PruneResult> {
    const { retentionMs, maxEvents } = this.config;
    const head = await this.repository.headSequence();
    // Entries at or below this sequence are beyond the maximum count; those stored before `cutoff` too old.
    const beyondCount = maxEvents === null ? 0 : head - maxEvents;
    const cutoff = retentionMs === null ? null : new Date(this.clock.now() - retentionMs).toISOString();
    while (!this.stopped) {
      // Below the head: the newest entry is never pruned.
      const entries = await this.repository.oldestEntries(head, PRUNE_CHUNK);
      let byCount = 0;
      let byAge = 0;
      for (const entry of entries) {
        if (entry.sequence <= beyondCount) byCount++;
        else if (cutoff !== null && entry.created_at < cutoff) byAge++;
        else break;
      }
      const doomed = byCount + byAge;
      if (doomed === 0) break;
      const deleted = await this.repository.deleteRange(entries[0].sequence, entries[doomed - 1].sequence);
      // Fewer only if another node pruned some of them meanwhile.
      const count = Math.min(byCount, deleted);
      this.count(result, count, deleted - count);
      if (doomed < entries.length || entries.length < PRUNE_CHUNK) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (result.age + result.count > 0) {
      this.logger.log({
        msg: `event log pruned: ${result.age} entries older than the retention, ${result.count} beyond the maximum count`,
        pruned_age: result.age,
        pruned_count: result.count,
      });
    }
    return result;
  }

  private count(result: PruneResult, byCount: number, byAge: number): void {
    result.count += byCount;
    result.age += byAge;
    if (byCount > 0) this.pruned.inc({ reason: PruneReason.Count }, byCount);
    if (byAge > 0) this.pruned.inc({ reason: PruneReason.Age }, byAge);
  }
}
