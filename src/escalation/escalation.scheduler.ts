import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { Clock, Timer } from '../clock/clock';
import { SerialQueue } from '../common/serial-queue';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import type { EscalationState } from './escalation-policy';
import { EscalationStatesRepository } from './escalation-states.repository';

/** Due escalations handled per sweep round; a larger backlog takes more rounds, each re-reading the schedule. */
const SWEEP_BATCH = 100;
/** After a failed sweep, the earliest retry. */
export const RETRY_AFTER_FAILURE_MS = 1000;

/** Handles one due escalation; throwing marks the sweep failed (retried later). */
export type DueHandler = (due: EscalationState) => Promise<void>;

/**
 * When escalations run. The schedule lives in the database (escalation_states.next_due_at); one timer is armed for
 * the earliest due escalation (re-read from the database at start, so a restart still escalates on time), capped
 * by a periodic sweep (ESCALATION_CHECK_INTERVAL) as a safety net: with several nodes on one PostgreSQL database,
 * that sweep is how a node fires the levels another node armed and can no longer fire (it stopped or died); the
 * engine claims each due row, so a level due on two nodes fires on one. Every piece of escalation work (attach, stop, sweep) runs through one queue,
 * one at a time, in the order it was asked for.
 */
@Injectable()
export class EscalationScheduler implements BeforeApplicationShutdown {
  private readonly logger = new Logger(EscalationScheduler.name);
  private readonly work = new SerialQueue();
  private handler: DueHandler | undefined;
  private timer: Timer | undefined;
  private timerDueAt = Number.POSITIVE_INFINITY;
  private sweepQueued = false;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly states: EscalationStatesRepository,
  ) {}

  /** False once shutdown began: nothing new is queued or armed. */
  get running(): boolean {
    return !this.stopped;
  }

  /** Starts sweeping: now (overdue levels fire at once), then whenever the earliest escalation falls due. */
  start(handler: DueHandler): void {
    this.handler = handler;
    this.requestSweep();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    // Let the unit of work in progress finish while the database is open; what is left is re-armed at next start.
    await this.work.drain();
  }

  /** Queues escalation work behind what is already queued; it is skipped once shutdown began. */
  enqueue(task: () => Promise<void>): void {
    this.work
      .push(async () => {
        if (this.stopped) return;
        await task();
      })
      .catch((error: unknown) => this.logger.error(`escalation task failed: ${describe(error)}`));
  }

  /** An escalation is due at `dueAtMs`: arms the timer for it if that is earlier than what is armed. */
  dueAt(dueAtMs: number): void {
    this.arm(dueAtMs, false);
  }

  private requestSweep(): void {
    if (this.sweepQueued || this.stopped) return;
    this.sweepQueued = true;
    this.enqueue(async () => {
      this.sweepQueued = false;
      await this.sweep();
    });
  }

  /**
   * Hands every due escalation to the handler, then re-arms the timer from the stored schedule. An escalation that
   * cannot be handled (the database failing) is retried after RETRY_AFTER_FAILURE_MS, not in a tight loop; the
   * timer is re-armed whatever happens.
   */
  private async sweep(): Promise<void> {
    const handler = this.handler;
    if (!handler) return;
    let failed = false;
    try {
      while (!failed) {
        const due = await this.states.due(this.clock.nowIso(), SWEEP_BATCH);
        for (const state of due) {
          if (this.stopped) return;
          try {
            await handler(state);
          } catch (error) {
            failed = true;
            this.logger.error(`escalation of incident ${state.incident_id} failed: ${describe(error)}`);
          }
        }
        if (due.length < SWEEP_BATCH) break;
      }
    } finally {
      const retryAt = this.clock.now() + RETRY_AFTER_FAILURE_MS;
      let next = retryAt;
      try {
        const due = await this.states.nextDueAt();
        next = due === null ? Number.POSITIVE_INFINITY : Date.parse(due);
      } catch (error) {
        failed = true;
        this.logger.error(`could not read the escalation schedule: ${describe(error)}`);
      }
      this.arm(failed ? Math.max(next, retryAt) : next, true);
    }
  }

  /** Arms the timer for `dueAtMs` (or the safety-net sweep, if sooner); only earlier, unless after a sweep. */
  private arm(dueAtMs: number, afterSweep: boolean): void {
    if (this.stopped || !this.handler) return;
    const now = this.clock.now();
    const at = Math.min(dueAtMs, now + this.config.escalation.checkIntervalMs);
    if (!afterSweep && at >= this.timerDueAt) return;
    this.clearTimer();
    this.timerDueAt = at;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.timerDueAt = Number.POSITIVE_INFINITY;
        this.requestSweep();
      },
      Math.max(0, at - now),
    );
  }

  private clearTimer(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.timerDueAt = Number.POSITIVE_INFINITY;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
