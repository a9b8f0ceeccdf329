import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  ServiceUnavailableException,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { Clock, Timer } from '../clock/clock';
import { InvalidStateTransitionError, NotFoundError } from '../common/api-error';
import { SerialQueue } from '../common/serial-queue';
import type { Incident } from '../domain';
import { EventType } from '../events/event.types';
import { addTimeline } from '../incidents/incident-lifecycle';
import { IncidentsService } from '../incidents/incidents.service';
import { Metric, PlaybookOutcome } from '../metrics/metric-names';
import { zeroSeries } from '../metrics/zero-series';
import {
  Playbook,
  PlaybookRun,
  PlaybookStep,
  RunStatus,
  RunTrigger,
  StepResult,
  StepStatus,
  matches,
} from './playbook';
import { ActionResult, PlaybookActionsService, abortMessage } from './playbook-actions.service';
import { PlaybookRunsRepository } from './playbook-runs.repository';

export const PLAYBOOK_ACTOR = 'playbook-engine';
/** At shutdown, how long runs get to record that they were interrupted. */
const SHUTDOWN_WAIT_MS = 3000;
/**
 * PostgreSQL (several nodes): how long a node's lease on its unfinished runs lasts, and how often it renews them and
 * looks for runs whose lease expired (their node stopped or died), which it interrupts.
 */
export const RUN_LEASE_MS = 30_000;
export const LEASE_RENEW_MS = 10_000;

/**
 * Runs playbooks on incidents. Runs of one incident execute one after another (in the order they were queued);
 * runs of different incidents run concurrently. Each run is stored with per-step results and publishes
 * `playbook_started`, one `playbook_action_executed` per executed step and `playbook_completed`; the first step
 * that still fails after its retries fails the run (`success: false`, the reason in the run's `error`).
 *
 * A run is started by the node that committed the event that triggers it (or took the request), and runs there to
 * the end (retries and timeouts are that node's timers). With several nodes on one PostgreSQL database, each node
 * holds a lease on its unfinished runs (RUN_LEASE_MS, renewed every LEASE_RENEW_MS); a run whose lease expired
 * (its node stopped or died) is interrupted by whichever node finds it first (a conditional update picks one). On
 * SQLite one process serves the file: at start, every unfinished run is one this process left behind.
 */
@Injectable()
export class PlaybookRunnerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PlaybookRunnerService.name);
  private readonly queues = new Map<string, { queue: SerialQueue; pending: number }>();
  private readonly running = new Set<Promise<void>>();
  private readonly shutdown = new AbortController();
  /** The runs this node queued and has not finished: the ones whose lease it renews (PostgreSQL). */
  private readonly owned = new Set<string>();
  private leaseTimer: Timer | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly runs: PlaybookRunsRepository,
    private readonly incidents: IncidentsService,
    private readonly actions: PlaybookActionsService,
    @InjectMetric(Metric.PlaybookExecutions) private readonly executions: Counter<string>,
  ) {
    zeroSeries(executions, { outcome: Object.values(PlaybookOutcome) });
  }

  /**
   * Runs left queued or running by a crash or a restart are failed (and announced) rather than left hanging: on
   * SQLite all of them at start; on PostgreSQL those whose lease expired, at start and every LEASE_RENEW_MS.
   */
  async onApplicationBootstrap(): Promise<void> {
    if (this.runs.leased) {
      await this.interruptAbandoned();
      this.leaseTimer = this.clock.setInterval(() => void this.leaseRound(), LEASE_RENEW_MS);
      return;
    }
    for (const run of await this.runs.unfinished()) {
      await this.complete(run, false, 'interrupted: the server restarted during the run').catch(
        (error: unknown) => this.logger.warn(`could not close interrupted run ${run.id}: ${describe(error)}`),
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.leaseTimer?.cancel();
    this.leaseTimer = undefined;
    this.shutdown.abort(new Error('interrupted: the server is shutting down'));
    let timer: Timer | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, SHUTDOWN_WAIT_MS))),
    ]);
    timer?.cancel();
  }

  /** The runs of one incident, as stored. */
  runsOf(incidentId: string): Promise<PlaybookRun[]> {
    return this.runs.forIncident(incidentId);
  }

  /** One run; NOT_FOUND when there is none. */
  async getRun(id: string): Promise<PlaybookRun> {
    const run = await this.runs.get(id);
    if (!run) throw new NotFoundError(`Playbook run ${id}`);
    return run;
  }

  /**
   * Queues a run of `playbook` on the incident and returns it (status `queued`, or already `running`). A Closed
   * incident runs nothing (409).
   */
  async start(
    incident: Incident,
    playbook: Playbook,
    trigger: RunTrigger,
    actor: string,
  ): Promise<PlaybookRun> {
    if (incident.state === 'Closed') {
      throw new InvalidStateTransitionError(`Cannot run a playbook: incident ${incident.id} is Closed`);
    }
    if (this.shutdown.signal.aborted) {
      throw new ServiceUnavailableException('Cannot run a playbook: the server is shutting down');
    }
    const now = this.clock.nowIso();
    const run: PlaybookRun = {
      id: randomUUID(),
      incident_id: incident.id,
      playbook_id: playbook.id,
      playbook_name: playbook.name,
      trigger,
      triggered_by: actor,
      status: RunStatus.Queued,
      success: null,
      error: null,
      actions_executed: 0,
      created_at: now,
      started_at: null,
      finished_at: null,
      steps: playbook.steps.map((step, index) => ({
        index,
        name: step.name,
        action: step.action.type,
        status: StepStatus.Pending,
        attempts: 0,
        message: '',
        started_at: null,
        finished_at: null,
      })),
      definition: playbook.steps,
    };
    await this.runs.insert(run, this.runs.leased ? this.leaseUntil() : null);
    // The answer is the run as queued; the runner goes on mutating its own copy.
    const queued = structuredClone(run);
    this.enqueue(run);
    return queued;
  }

  private leaseUntil(): string {
    return new Date(this.clock.now() + RUN_LEASE_MS).toISOString();
  }

  /** Renews this node's leases, then interrupts the runs whose lease expired. */
  private async leaseRound(): Promise<void> {
    if (this.shutdown.signal.aborted) return;
    try {
      await this.runs.renewLeases([...this.owned], this.leaseUntil());
      await this.interruptAbandoned();
    } catch (error) {
      this.logger.warn(`playbook run leases: ${describe(error)}`);
    }
  }

  /** Interrupts the unfinished runs whose lease expired (another node's, or this node's before a restart). */
  private async interruptAbandoned(): Promise<void> {
    const now = this.clock.nowIso();
    for (const run of await this.runs.abandoned(now)) {
      if (this.owned.has(run.id)) continue;
      if (!(await this.runs.claimAbandoned(run.id, now, this.leaseUntil()))) continue;
      await this.complete(run, false, 'interrupted: its node stopped during the run').catch(
        (error: unknown) => this.logger.warn(`could not close interrupted run ${run.id}: ${describe(error)}`),
      );
    }
  }

  private enqueue(run: PlaybookRun): void {
    let entry = this.queues.get(run.incident_id);
    if (!entry) {
      entry = { queue: new SerialQueue(), pending: 0 };
      this.queues.set(run.incident_id, entry);
    }
    entry.pending += 1;
    this.owned.add(run.id);
    const current = entry;
    const done = current.queue
      .push(() => this.execute(run))
      .catch(async (error: unknown) => {
        this.logger.error(`playbook run ${run.id} failed unexpectedly: ${describe(error)}`);
        if (run.status === RunStatus.Succeeded || run.status === RunStatus.Failed) return;
        const message = error instanceof Error ? error.message : String(error);
        await this.complete(run, false, `internal error: ${message}`).catch(() => undefined);
      })
      .finally(() => {
        this.owned.delete(run.id);
        this.running.delete(done);
        current.pending -= 1;
        if (current.pending === 0) this.queues.delete(run.incident_id);
      });
    this.running.add(done);
  }

  private async execute(run: PlaybookRun): Promise<void> {
    if (this.shutdown.signal.aborted) {
      await this.complete(run, false, 'interrupted: the server is shutting down');
      return;
    }
    const started = await this.begin(run);
    if (!started) return;
    for (const [index, step] of run.definition.entries()) {
      const result = run.steps[index];
      const incident = await this.incidents.get(run.incident_id);
      if (step.condition && !matches(step.condition, incident)) {
        result.status = StepStatus.Skipped;
        result.message = 'condition not met';
        await this.runs.update(run);
        continue;
      }
      const outcome = await this.runStep(run, step, result);
      await this.recordStep(run, step, result, outcome);
      if (!outcome.success) {
        await this.complete(run, false, `step "${step.name}" failed: ${outcome.message}`);
        return;
      }
    }
    await this.complete(run, true, null);
  }

  /** Marks the run running on the incident (active_playbook, timeline, `playbook_started`). */
  private async begin(run: PlaybookRun): Promise<boolean> {
    let closed = false;
    await this.incidents.change(run.incident_id, async (incident, events, now, tx) => {
      if (incident.state === 'Closed') {
        closed = true;
        return false;
      }
      run.status = RunStatus.Running;
      run.started_at = now;
      incident.active_playbook = run.playbook_id;
      addTimeline(
        incident,
        now,
        'PlaybookStarted',
        run.trigger === RunTrigger.Manual ? run.triggered_by : PLAYBOOK_ACTOR,
        `Playbook "${run.playbook_name}" started (${run.trigger})`,
        { playbook_id: run.playbook_id, run_id: run.id, trigger: run.trigger },
      );
      events.record(
        {
          event_type: EventType.PlaybookStarted,
          incident_id: incident.id,
          playbook_id: run.playbook_id,
          playbook_name: run.playbook_name,
        },
        incident,
      );
      await this.runs.update(run, tx);
      return true;
    });
    if (closed) await this.complete(run, false, 'the incident was closed before the run started', false);
    return !closed;
  }

  /** Attempts the step until it succeeds or its retries are spent. */
  private async runStep(run: PlaybookRun, step: PlaybookStep, result: StepResult): Promise<ActionResult> {
    result.started_at = this.clock.nowIso();
    let outcome: ActionResult = { success: false, message: 'not attempted' };
    for (let attempt = 1; attempt <= step.retries + 1; attempt += 1) {
      if (attempt > 1) {
        try {
          await this.clock.sleep(step.retry_delay_seconds * 1000, this.shutdown.signal);
        } catch {
          break;
        }
      }
      result.attempts = attempt;
      outcome = await this.attempt(run, step);
      if (outcome.success || this.shutdown.signal.aborted) break;
    }
    result.finished_at = this.clock.nowIso();
    return outcome;
  }

  /** One attempt, bounded by the step's timeout (except `wait`, whose length is its point) and by shutdown. */
  private async attempt(run: PlaybookRun, step: PlaybookStep): Promise<ActionResult> {
    const timeoutMs = Math.round(step.timeout_seconds * 1000);
    const deadline = new AbortController();
    const timer =
      step.action.type === 'wait'
        ? undefined
        : this.clock.setTimeout(
            () => deadline.abort(new Error(`timed out after ${step.timeout_seconds} s`)),
            timeoutMs,
          );
    const signal = AbortSignal.any([deadline.signal, this.shutdown.signal]);
    try {
      const work = this.actions.execute(step.action, {
        incidentId: run.incident_id,
        runId: run.id,
        playbookId: run.playbook_id,
        playbookName: run.playbook_name,
        stepName: step.name,
        actor: `playbook:${run.playbook_name}`,
        timeoutMs,
        signal,
      });
      return await new Promise<ActionResult>((resolve) => {
        const onAbort = () => resolve({ success: false, message: abortMessage(signal) });
        if (signal.aborted) return onAbort();
        signal.addEventListener('abort', onAbort, { once: true });
        void work.then((value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(signal.aborted ? { success: false, message: abortMessage(signal) } : value);
        });
      });
    } finally {
      timer?.cancel();
    }
  }

  /** The executed step on the run, the incident's timeline and as `playbook_action_executed`. */
  private async recordStep(
    run: PlaybookRun,
    step: PlaybookStep,
    result: StepResult,
    outcome: ActionResult,
  ): Promise<void> {
    result.status = outcome.success ? StepStatus.Succeeded : StepStatus.Failed;
    result.message = outcome.message;
    run.actions_executed += 1;
    await this.incidents.change(run.incident_id, async (incident, events, now, tx) => {
      addTimeline(
        incident,
        now,
        'ActionExecuted',
        PLAYBOOK_ACTOR,
        `Playbook "${run.playbook_name}" step "${step.name}" ${outcome.success ? 'succeeded' : 'failed'}: ${outcome.message}`,
        {
          playbook_id: run.playbook_id,
          run_id: run.id,
          step: step.name,
          action: step.action.type,
          success: String(outcome.success),
          attempts: String(result.attempts),
        },
      );
      events.record(
        {
          event_type: EventType.PlaybookActionExecuted,
          incident_id: incident.id,
          playbook_id: run.playbook_id,
          action_name: step.name,
          success: outcome.success,
          message: outcome.message,
        },
        incident,
      );
      await this.runs.update(run, tx);
      return true;
    });
  }

  /** Finishes the run: stored, `active_playbook` cleared, PlaybookCompleted on the timeline, `playbook_completed`. */
  private async complete(
    run: PlaybookRun,
    success: boolean,
    error: string | null,
    announce = true,
  ): Promise<void> {
    const now = this.clock.nowIso();
    run.status = success ? RunStatus.Succeeded : RunStatus.Failed;
    run.success = success;
    run.error = error;
    run.finished_at = now;
    this.executions.inc({ outcome: success ? PlaybookOutcome.Success : PlaybookOutcome.Failure });
    if (!announce) {
      await this.runs.update(run);
      return;
    }
    await this.incidents.change(run.incident_id, async (incident, events, at, tx) => {
      if (incident.active_playbook === run.playbook_id) incident.active_playbook = null;
      addTimeline(
        incident,
        at,
        'PlaybookCompleted',
        PLAYBOOK_ACTOR,
        success
          ? `Playbook "${run.playbook_name}" completed (${run.actions_executed} actions)`
          : `Playbook "${run.playbook_name}" failed: ${error ?? 'unknown error'}`,
        { playbook_id: run.playbook_id, run_id: run.id, success: String(success) },
      );
      events.record(
        {
          event_type: EventType.PlaybookCompleted,
          incident_id: incident.id,
          playbook_id: run.playbook_id,
          success,
          actions_executed: run.actions_executed,
        },
        incident,
      );
      await this.runs.update(run, tx);
      return true;
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
