import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../clock/clock';
import { ApiException } from '../common/api-error';
import { LIMITS } from '../common/string-map.validator';
import { EscalationTrigger, Incident, isMoreSevere } from '../domain';
import { EventType } from '../events/event.types';
import { assertNotClosed, changeLabels } from '../incidents/incident-lifecycle';
import { IncidentsService } from '../incidents/incidents.service';
import { NotificationChannelsService } from '../notifications/notification-channels.service';
import { NotificationTrigger } from '../notifications/notification-content';
import { NotificationQueueService } from '../notifications/notification-queue.service';
import { destinationOf } from '../notifications/notifications.listener';
import { maskUrl } from '../notifications/outgoing/secrets';
import { WebhookClient } from '../notifications/webhook.client';
import { ActionType, PlaybookAction, oneLevelUp } from './playbook';

export interface ActionContext {
  incidentId: string;
  runId: string;
  playbookId: string;
  playbookName: string;
  stepName: string;
  /** Timeline actor of the changes the action makes. */
  actor: string;
  timeoutMs: number;
  /** Aborted at the attempt's deadline or at shutdown. */
  signal: AbortSignal;
}

export interface ActionResult {
  success: boolean;
  message: string;
}

/** Executes one playbook action against an incident. Never throws: failures are results. */
@Injectable()
export class PlaybookActionsService {
  private readonly logger = new Logger(PlaybookActionsService.name);

  constructor(
    private readonly clock: Clock,
    private readonly incidents: IncidentsService,
    private readonly webhooks: WebhookClient,
    private readonly channels: NotificationChannelsService,
    private readonly notifications: NotificationQueueService,
  ) {}

  async execute(action: PlaybookAction, context: ActionContext): Promise<ActionResult> {
    try {
      return await this.run(action, context);
    } catch (error) {
      const message =
        error instanceof ApiException
          ? error.message
          : error instanceof Error
            ? error.message
            : String(error);
      return { success: false, message };
    }
  }

  private async run(action: PlaybookAction, context: ActionContext): Promise<ActionResult> {
    switch (action.type) {
      case ActionType.Webhook: {
        const incident = await this.incidents.get(context.incidentId);
        // The URL may hold credentials: messages and logs show it masked.
        const shown = maskUrl(action.url);
        const result = await this.webhooks.post({
          url: action.url,
          headers: { ...action.headers, 'x-playbook-run-id': context.runId },
          body: {
            playbook_id: context.playbookId,
            playbook_name: context.playbookName,
            run_id: context.runId,
            step: context.stepName,
            incident,
          },
          timeoutMs: context.timeoutMs,
          signal: context.signal,
        });
        if (!result.ok) {
          this.logger.warn({
            msg: `playbook webhook failed: ${result.message}`,
            incident_id: context.incidentId,
            playbook: context.playbookName,
            run_id: context.runId,
            step: context.stepName,
            url: shown,
            status_code: result.status,
            detail: result.detail,
          });
        }
        return { success: result.ok, message: `POST ${shown}: ${result.message}` };
      }
      case ActionType.Wait:
        await this.clock.sleep(action.seconds * 1000, context.signal);
        return { success: true, message: `waited ${action.seconds} s` };
      case ActionType.AddLabels:
        return this.addLabels(action.labels, context);
      case ActionType.SetState: {
        const before = await this.incidents.get(context.incidentId);
        if (before.state === action.state) return { success: true, message: `already ${action.state}` };
        await this.incidents.update(context.incidentId, { state: action.state, actor: context.actor });
        return { success: true, message: `state ${before.state} -> ${action.state}` };
      }
      case ActionType.SeverityIncrease: {
        const incident = await this.incidents.get(context.incidentId);
        const target = action.to_severity ?? oneLevelUp(incident.severity);
        if (!isMoreSevere(target, incident.severity)) {
          return { success: true, message: `severity already ${incident.severity}` };
        }
        await this.incidents.escalate(
          context.incidentId,
          {
            to_severity: target,
            reason: `Playbook "${context.playbookName}" step "${context.stepName}"`,
            actor: context.actor,
          },
          EscalationTrigger.Playbook,
        );
        return { success: true, message: `severity ${incident.severity} -> ${target}` };
      }
      case ActionType.Notify:
        return this.notify(action.channels, action.message, context);
      case ActionType.IncidentResolve: {
        const incident = await this.incidents.get(context.incidentId);
        if (incident.state === 'Resolved') return { success: true, message: 'already resolved' };
        await this.incidents.resolve(context.incidentId, {
          resolved_by: context.actor,
          method: 'Automated',
          notes: action.notes || `Resolved by playbook "${context.playbookName}"`,
          root_cause: action.root_cause ?? undefined,
        });
        return { success: true, message: 'incident resolved' };
      }
    }
  }

  private async addLabels(labels: Record<string, string>, context: ActionContext): Promise<ActionResult> {
    let added = false;
    await this.incidents.change(context.incidentId, (incident, events, now, _tx, before) => {
      assertNotClosed(incident, 'add labels');
      const merged = { ...incident.labels, ...labels };
      if (Object.keys(merged).length > LIMITS.mapEntries) {
        throw new Error(`an incident may have at most ${LIMITS.mapEntries} labels`);
      }
      added = changeLabels(incident, merged, context.actor, now);
      if (added) {
        events.record(
          { event_type: EventType.IncidentUpdated, incident, previous_state: null },
          incident,
          before,
        );
      }
      return added;
    });
    const list = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    return { success: true, message: added ? `labels added: ${list}` : `labels already set: ${list}` };
  }

  private async notify(refs: string[], message: string, context: ActionContext): Promise<ActionResult> {
    const { channels, unknown } = this.channels.resolve(refs);
    if (unknown.length > 0) {
      return { success: false, message: `unknown or disabled channel(s): ${unknown.join(', ')}` };
    }
    if (channels.length === 0) return { success: false, message: 'no enabled notification channel' };
    const incident: Incident = await this.incidents.get(context.incidentId);
    const outcomes = await abortable(
      Promise.all(
        channels.map((channel) =>
          this.notifications.enqueue(destinationOf(channel), {
            trigger: NotificationTrigger.Playbook,
            message,
            incident,
          }),
        ),
      ),
      context.signal,
    );
    const failed = outcomes.filter((o) => !o.success);
    if (failed.length === 0) {
      return { success: true, message: `notified ${channels.map((c) => c.name).join(', ')}` };
    }
    return {
      success: false,
      message: `notification failed: ${failed.map((o) => `${o.channel} (${o.message})`).join(', ')}`,
    };
  }
}

export class AbortedError extends Error {}

/** `promise`, or a rejection as soon as `signal` aborts (the work itself goes on, its result is ignored). */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AbortedError(abortMessage(signal)));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError(abortMessage(signal)));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** The message of the reason `signal` was aborted with. */
export function abortMessage(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'object' && reason !== null && 'message' in reason) return String(reason.message);
  return typeof reason === 'string' ? reason : 'aborted';
}
