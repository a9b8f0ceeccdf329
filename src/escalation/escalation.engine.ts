import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter } from 'prom-client';
import { Clock } from '../clock/clock';
import { NotFoundError } from '../common/api-error';
import { EscalationTrigger, Incident, isActiveState } from '../domain';
import { EventPublisher } from '../events/event-publisher.service';
import { EventType } from '../events/event.types';
import { addTimeline, changeSeverity } from '../incidents/incident-lifecycle';
import { IncidentsService } from '../incidents/incidents.service';
import { Metric } from '../metrics/metric-names';
import { ChannelType } from '../notifications/notification-channel';
import { NotificationTrigger } from '../notifications/notification-content';
import { NotificationQueueService } from '../notifications/notification-queue.service';
import { EscalationPoliciesRepository } from './escalation-policies.repository';
import { EscalationPoliciesService } from './escalation-policies.service';
import {
  EscalationLevel,
  EscalationPolicy,
  EscalationState,
  EscalationStatus,
  StopReason,
  delayMs,
  describeTarget,
  formatDelay,
  nextStep,
  raisedSeverity,
} from './escalation-policy';
import { EscalationStatesRepository } from './escalation-states.repository';
import { EscalationScheduler } from './escalation.scheduler';

export const ESCALATION_ACTOR = 'escalation-engine';
/** Incidents checked at start for a missed policy attachment (created while the server was stopping). */
const RECONCILE_LIMIT = 5000;

interface Fired {
  incident: Incident;
  level: EscalationLevel;
  fromSeverity: Incident['severity'];
  reason: string;
}

/**
 * Decides and applies escalations: attaches a policy to a new incident, stops it when the incident is acknowledged
 * or over, and fires a level when the scheduler says it is due. Firing a level, its events and advancing the
 * schedule are one unit of work, and a level only fires when its row, claimed for that unit of work, is still
 * active and due, so a level never fires twice, not even when several nodes share a PostgreSQL database (each
 * node's scheduler also scans the stored schedule periodically, so a level armed on a node that stopped fires on
 * another). Webhook targets are notified after commit.
 */
@Injectable()
export class EscalationEngine implements OnApplicationBootstrap {
  private readonly logger = new Logger(EscalationEngine.name);
  /** Incidents with an active escalation: lets incident updates skip the database when there is nothing to stop. */
  private readonly active = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly scheduler: EscalationScheduler,
    private readonly publisher: EventPublisher,
    private readonly policies: EscalationPoliciesService,
    private readonly policyStore: EscalationPoliciesRepository,
    private readonly states: EscalationStatesRepository,
    private readonly incidents: IncidentsService,
    private readonly notifications: NotificationQueueService,
    @InjectMetric(Metric.Escalations) private readonly escalations: Counter<string>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.policies.ensureLoaded();
    for (const id of await this.states.activeIncidentIds()) this.active.add(id);
    await this.reconcile();
    this.scheduler.start((due) => this.fire(due));
  }

  /** An incident was created: attach the matching policy, if any. */
  incidentCreated(incident: Incident): void {
    if (!this.scheduler.running || incident.state !== 'Detected' || !this.policies.anyEnabled) return;
    const policy = this.policies.policyFor(incident);
    if (!policy) return;
    // Marked at once, so that an acknowledgement published before the attachment is stored still queues its
    // stop check behind it; a stop check that finds no escalation unmarks it.
    this.active.add(incident.id);
    this.scheduler.enqueue(() => this.attach(incident, policy, incident.created_at, false));
  }

  /** A resolved incident was reopened unacknowledged (back to Detected): its escalation starts over. */
  incidentReopened(incident: Incident): void {
    if (!this.scheduler.running || incident.state !== 'Detected' || !this.policies.anyEnabled) return;
    const policy = this.policies.policyFor(incident);
    if (!policy) return;
    this.active.add(incident.id);
    this.scheduler.enqueue(() => this.attach(incident, policy, incident.updated_at, true));
  }

  /**
   * An incident's severity changed (PATCH, /escalate, a playbook): the policy that applies is chosen again from the
   * new severity. Queued like every other piece of escalation work; see `reevaluate`.
   */
  incidentSeverityChanged(incident: Incident): void {
    if (!this.scheduler.running || !isActiveState(incident.state)) return;
    if (!this.active.has(incident.id) && !this.policies.policyFor(incident)) return;
    // Marked at once for the same reason as in incidentCreated: a stop check queued after this finds what it did.
    this.active.add(incident.id);
    this.scheduler.enqueue(() => this.reevaluate(incident.id));
  }

  /** An incident changed: acknowledging, resolving or closing it stops its escalation. */
  incidentChanged(incident: Incident): void {
    if (!this.scheduler.running || incident.state === 'Detected') return;
    // Another node may have attached it (PostgreSQL): the stored escalation is checked whatever this node knows.
    if (!this.active.has(incident.id) && !this.states.shared) return;
    this.scheduler.enqueue(() => this.stopIfDone(incident.id));
  }

  /**
   * Starts the policy's first level counting from `since`. An incident that already has an escalation keeps it,
   * unless `restart` (a reopened incident) and that escalation is over.
   */
  private async attach(
    incident: Incident,
    policy: EscalationPolicy,
    since: string,
    restart: boolean,
  ): Promise<void> {
    const dueAt = Date.parse(since) + delayMs(policy.levels[0]);
    const attached = await this.publisher.run(async (tx) => {
      const existing = await this.states.get(incident.id, tx);
      if (existing && (!restart || existing.status === EscalationStatus.Active)) return false;
      if (existing) await this.states.delete(incident.id, tx);
      const now = this.clock.nowIso();
      return this.states.insert(startingState(incident.id, policy.id, dueAt, now), tx);
    });
    if (attached) this.scheduler.dueAt(dueAt);
  }

  /**
   * The policy for the incident's severity as it is now (read again: later changes may have been stored since the
   * change that queued this), applied to its escalation:
   * - the same policy as its escalation's: kept as it is, level and schedule (whatever its status);
   * - another policy, that would escalate the incident in its current state (Detected, or a first level with
   *   `stop_on_ack: false`): it replaces the escalation, from its first level, whose delay counts from now;
   * - no policy, or one that would not escalate it now: an active escalation stops (`severity_changed`).
   * A policy created after the incident applies too: the severity change is what makes it apply, and it happens now.
   */
  private async reevaluate(incidentId: string): Promise<void> {
    let dueAt: number | undefined;
    await this.publisher.run(async (tx) => {
      const incident = await this.incidents.find(tx, incidentId);
      const state = await this.states.get(incidentId, tx);
      if (!incident || !isActiveState(incident.state)) {
        // Over: the stop check queued by its resolution or closing finishes the escalation.
        if (state?.status !== EscalationStatus.Active) this.active.delete(incidentId);
        return;
      }
      const policy = this.policies.policyFor(incident);
      if (state && policy && state.policy_id === policy.id) {
        if (state.status !== EscalationStatus.Active) this.active.delete(incidentId);
        return;
      }
      const now = this.clock.nowIso();
      if (policy && stopReasonFor(incident, policy.levels[0]) === null) {
        if (state) await this.states.delete(incidentId, tx);
        dueAt = Date.parse(now) + delayMs(policy.levels[0]);
        await this.states.insert(startingState(incidentId, policy.id, dueAt, now), tx);
        return;
      }
      if (state?.status === EscalationStatus.Active) {
        await this.states.finish(tx, incidentId, EscalationStatus.Stopped, StopReason.SeverityChanged, now);
      }
      this.active.delete(incidentId);
    });
    if (dueAt !== undefined) this.scheduler.dueAt(dueAt);
  }

  /** Stops the escalation when the incident is no longer active, or acknowledged and the next level says so. */
  private async stopIfDone(incidentId: string): Promise<void> {
    await this.publisher.run(async (tx) => {
      const state = await this.states.get(incidentId, tx);
      if (!state || state.status !== EscalationStatus.Active) {
        this.active.delete(incidentId);
        return;
      }
      const incident = await this.incidents.find(tx, incidentId);
      const policy = await this.policyStore.get(state.policy_id, tx);
      const level = policy?.levels[state.level_index];
      const reason = incident ? stopReasonFor(incident, level) : StopReason.IncidentMissing;
      if (reason === null) return;
      await this.states.finish(tx, incidentId, EscalationStatus.Stopped, reason, this.clock.nowIso());
      this.active.delete(incidentId);
    });
  }

  /** Fires the due level of one escalation (or ends it), and notifies its targets after commit. */
  private async fire(due: EscalationState): Promise<void> {
    let fired: Fired | undefined;
    let ended = false;
    try {
      await this.incidents.change(due.incident_id, async (incident, events, now, tx, before) => {
        const finish = async (status: Exclude<EscalationStatus, 'active'>, reason: StopReason | null) => {
          await this.states.finish(tx, incident.id, status, reason, now);
          ended = true;
          return false;
        };
        // Claimed: on PostgreSQL another node firing the same level waits here, then finds it advanced.
        const state = await this.states.claim(incident.id, tx);
        if (!state || state.status !== EscalationStatus.Active || state.next_due_at === null) {
          ended = true;
          return false;
        }
        if (state.next_due_at > now) return false;
        const policy = await this.policyStore.get(state.policy_id, tx);
        if (!policy) return finish(EscalationStatus.Cancelled, StopReason.PolicyDeleted);
        if (!policy.enabled) return finish(EscalationStatus.Cancelled, StopReason.PolicyDisabled);
        const level = policy.levels[state.level_index];
        if (!level) return finish(EscalationStatus.Completed, null);
        const stop = stopReasonFor(incident, level);
        if (stop !== null) return finish(EscalationStatus.Stopped, stop);

        const fromSeverity = incident.severity;
        const reason = reasonFor(policy, level, incident);
        const raiseTo = raisedSeverity(level, fromSeverity);
        if (raiseTo) changeSeverity(incident, raiseTo, ESCALATION_ACTOR, now, reason);
        addTimeline(
          incident,
          now,
          'Escalated',
          ESCALATION_ACTOR,
          raiseTo ? `Escalated from ${fromSeverity} to ${raiseTo}: ${reason}` : `Escalated: ${reason}`,
          {
            policy_id: policy.id,
            policy: policy.name,
            level: String(level.level),
            repeat_round: String(state.repeat_round),
            from: fromSeverity,
            to: incident.severity,
            targets: level.targets.map(describeTarget).join(','),
          },
        );
        // A raised severity is an incident_updated too, recorded first as every severity change is (see
        // IncidentsService.recordEscalation); a level that only notifies changes no filtered field.
        if (raiseTo) {
          events.record(
            { event_type: EventType.IncidentUpdated, incident, previous_state: null },
            incident,
            before,
          );
        }
        events.record(
          {
            event_type: EventType.Escalated,
            incident_id: incident.id,
            from_severity: fromSeverity,
            to_severity: incident.severity,
            reason,
          },
          incident,
          before,
        );

        const next = nextStep(policy, state.level_index, state.repeat_round);
        if (next) {
          const dueAt = new Date(Date.parse(now) + delayMs(policy.levels[next.levelIndex])).toISOString();
          await this.states.advance(tx, incident.id, { ...next, dueAt }, now);
        } else {
          await finish(EscalationStatus.Completed, null);
        }
        fired = { incident, level, fromSeverity, reason };
        return true;
      });
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      const now = this.clock.nowIso();
      await this.publisher.run((tx) =>
        this.states.finish(tx, due.incident_id, EscalationStatus.Cancelled, StopReason.IncidentMissing, now),
      );
      ended = true;
    }
    if (ended) this.active.delete(due.incident_id);
    if (fired) this.notify(fired);
  }

  /** Counts the escalation and posts it to the level's webhook targets (queued; nothing here waits). */
  private notify({ incident, level, fromSeverity, reason }: Fired): void {
    this.escalations.inc({ trigger: EscalationTrigger.Policy });
    this.logger.log({
      msg: `escalation fired: ${reason}`,
      incident_id: incident.id,
      level: level.level,
      from_severity: fromSeverity,
      to_severity: incident.severity,
    });
    const targets = level.targets.map(describeTarget);
    for (const target of level.targets) {
      if (target.url === null) continue;
      void this.notifications.enqueue(
        {
          label: `escalation:${target.name}`,
          type: ChannelType.Webhook,
          url: target.url,
          headers: target.headers ?? {},
        },
        {
          trigger: NotificationTrigger.Escalated,
          message: `[${incident.severity}] Escalation for ${incident.title}: ${reason}`,
          incident,
          escalation: { from_severity: fromSeverity, to_severity: incident.severity, reason, targets },
        },
      );
    }
  }

  /**
   * Attaches policies to Detected incidents that have no escalation yet: incidents created while the server was
   * stopping, or before a crash, whose `incident_created` was never handled. Overdue levels fire at the first sweep.
   */
  private async reconcile(): Promise<void> {
    if (!this.policies.anyEnabled) return;
    const incidents = await this.incidents.listDetected(RECONCILE_LIMIT);
    const existing = await this.states.existing(incidents.map((i) => i.id));
    for (const incident of incidents) {
      if (existing.has(incident.id)) continue;
      const policy = this.policies.policyFor(incident);
      // A policy applies to the incidents created after it, never retroactively.
      if (policy && policy.created_at <= incident.created_at) {
        await this.attach(incident, policy, incident.created_at, false);
      }
    }
  }
}

/** Why the escalation must stop before `level`, or null if it goes on. */
function stopReasonFor(incident: Incident, level: EscalationLevel | undefined): StopReason | null {
  if (!isActiveState(incident.state)) {
    return incident.state === 'Closed' ? StopReason.Closed : StopReason.Resolved;
  }
  if (incident.state !== 'Detected' && (level?.stop_on_ack ?? true)) return StopReason.Acknowledged;
  return null;
}

function reasonFor(policy: EscalationPolicy, level: EscalationLevel, incident: Incident): string {
  const waited =
    incident.state === 'Detected'
      ? `not acknowledged after ${formatDelay(level.delay_minutes)}`
      : `still ${incident.state} after ${formatDelay(level.delay_minutes)}`;
  const targets =
    level.targets.length > 0 ? `; notifying ${level.targets.map(describeTarget).join(', ')}` : '';
  return `Escalation policy "${policy.name}" level ${level.level}: ${waited}${targets}`;
}

/** An escalation that starts at the policy's first level, due at `dueAt` (epoch ms). */
function startingState(incidentId: string, policyId: string, dueAt: number, now: string): EscalationState {
  return {
    incident_id: incidentId,
    policy_id: policyId,
    status: EscalationStatus.Active,
    level_index: 0,
    repeat_round: 0,
    next_due_at: new Date(dueAt).toISOString(),
    started_at: now,
    updated_at: now,
    stop_reason: null,
  };
}
