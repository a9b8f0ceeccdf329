import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { randomUUID } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { Clock, Timer } from '../clock/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EventType } from '../events/event.types';
import { addTimeline } from '../incidents/incident-lifecycle';
import { IncidentsService } from '../incidents/incidents.service';
import { Metric } from '../metrics/metric-names';
import type { ChannelType } from './notification-channel';
import { NotificationContent, buildPayload } from './notification-content';
import { WebhookClient, WebhookMessage } from './webhook.client';

/** Where one notification goes. `label` names it in `notification_sent`, the timeline and the metrics. */
export interface Destination {
  label: string;
  type: ChannelType;
  url: string;
  headers: Record<string, string>;
}

export interface DeliveryOutcome {
  channel: string;
  success: boolean;
  attempts: number;
  message: string;
}

interface Delivery {
  id: string;
  destination: Destination;
  content: NotificationContent;
  body: unknown;
  attempts: number;
  settle: (outcome: DeliveryOutcome) => void;
}

/** What became of one attempt, or of a delivery dropped before any. */
interface Outcome {
  kind: 'success' | 'failure' | 'dropped';
  attempt: number;
  status: number | null;
  message: string;
  deliveryId?: string;
}

export const NOTIFICATION_ACTOR = 'notification-service';
const MAX_BACKOFF_MS = 5 * 60_000;

/**
 * Sends notifications from a bounded in-memory queue with a fixed number of concurrent deliveries (at most half of
 * them to any one destination), retrying a failed delivery with exponential backoff. Every attempt's outcome is stored on the incident (a NotificationSent timeline
 * entry) and published (`notification_sent`). Enqueuing never waits for the network, so a dead or slow receiver
 * never holds up whoever triggered the notification; when the queue is full the new delivery is dropped, counted
 * (outcome `dropped`) and recorded like a failed attempt (`notification_sent` with `error: "dropped"`).
 */
@Injectable()
export class NotificationQueueService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(NotificationQueueService.name);
  private readonly waiting: Delivery[] = [];
  private readonly retries = new Map<Timer, Delivery>();
  private readonly inFlight = new Set<Promise<void>>();
  /** In-flight deliveries per destination URL. */
  private readonly busy = new Map<string, number>();
  private readonly shutdown = new AbortController();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly client: WebhookClient,
    private readonly incidents: IncidentsService,
    @InjectMetric(Metric.Notifications) private readonly attemptsCounter: Counter<string>,
    @InjectMetric(Metric.NotificationQueueDepth) private readonly depthGauge: Gauge<string>,
  ) {}

  /** Deliveries waiting, in flight or waiting for a retry. */
  get depth(): number {
    return this.waiting.length + this.inFlight.size + this.retries.size;
  }

  /**
   * Queues one delivery and returns at once; the promise settles with the final outcome (after the last attempt),
   * and never rejects.
   */
  enqueue(destination: Destination, content: NotificationContent): Promise<DeliveryOutcome> {
    if (this.shutdown.signal.aborted) {
      return Promise.resolve(this.dropped(destination, 'server is shutting down'));
    }
    if (this.depth >= this.config.notifications.queueSize) {
      this.logger.warn(
        `notification queue full (${this.depth}); dropped a notification to ${destination.label}`,
      );
      // Not awaited: whoever notifies must not wait on a write when the queue is already overloaded.
      void this.record(destination, content, {
        kind: 'dropped',
        attempt: 0,
        status: null,
        message: 'dropped',
      });
      return Promise.resolve(this.dropped(destination, 'notification queue is full'));
    }
    return new Promise<DeliveryOutcome>((settle) => {
      const id = randomUUID();
      this.waiting.push({
        id,
        destination,
        content,
        body: buildPayload(destination.type, content, destination.label, this.clock.nowIso()),
        attempts: 0,
        settle,
      });
      this.pump();
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.abort();
    for (const [timer, delivery] of this.retries) {
      timer.cancel();
      delivery.settle(this.dropped(delivery.destination, 'server is shutting down'));
    }
    this.retries.clear();
    for (const delivery of this.waiting.splice(0)) {
      delivery.settle(this.dropped(delivery.destination, 'server is shutting down'));
    }
    // In-flight requests were aborted; let them record that outcome while the database is still open.
    await Promise.allSettled([...this.inFlight]);
    this.updateDepth();
  }

  /**
   * Starts waiting deliveries while workers are free, oldest first, skipping destinations that already use their
   * share of the workers: a hanging receiver can hold at most half of them, so the others keep flowing.
   */
  private pump(): void {
    const { concurrency } = this.config.notifications;
    const perDestination = Math.max(1, Math.ceil(concurrency / 2));
    for (let i = 0; i < this.waiting.length && this.inFlight.size < concurrency;) {
      const delivery = this.waiting[i];
      const busy = this.busy.get(delivery.destination.url) ?? 0;
      if (busy >= perDestination) {
        i += 1;
        continue;
      }
      this.waiting.splice(i, 1);
      this.start(delivery);
    }
    this.updateDepth();
  }

  private start(delivery: Delivery): void {
    const key = delivery.destination.url;
    this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    const attempt = this.attempt(delivery)
      .catch((error: unknown) => {
        this.logger.error(`notification delivery failed unexpectedly: ${String(error)}`);
        delivery.settle(this.dropped(delivery.destination, 'internal error'));
      })
      .finally(() => {
        this.inFlight.delete(attempt);
        const left = (this.busy.get(key) ?? 1) - 1;
        if (left > 0) this.busy.set(key, left);
        else this.busy.delete(key);
        this.pump();
      });
    this.inFlight.add(attempt);
  }

  private async attempt(delivery: Delivery): Promise<void> {
    delivery.attempts += 1;
    const { destination } = delivery;
    const result = await this.client.post({
      url: destination.url,
      body: delivery.body,
      headers: {
        ...destination.headers,
        'x-delivery-id': delivery.id,
        'x-delivery-attempt': String(delivery.attempts),
      },
      timeoutMs: this.config.notifications.timeoutMs,
      signal: this.shutdown.signal,
    });
    this.attemptsCounter.inc({ channel: destination.label, outcome: result.ok ? 'success' : 'failure' });
    await this.record(destination, delivery.content, {
      kind: result.ok ? 'success' : 'failure',
      attempt: delivery.attempts,
      status: result.status,
      message: result.message,
      deliveryId: delivery.id,
    });

    const maxAttempts = this.config.notifications.maxAttempts;
    // A refused destination is not retried: it would be refused again.
    const final = result.ok || result.message === WebhookMessage.Blocked;
    if (final || delivery.attempts >= maxAttempts || this.shutdown.signal.aborted) {
      if (!result.ok) {
        this.logger.warn({
          msg: `notification failed after ${delivery.attempts} attempt(s): ${result.message}`,
          incident_id: delivery.content.incident.id,
          channel: destination.label,
          attempts: delivery.attempts,
          status_code: result.status,
          delivery_id: delivery.id,
          detail: result.detail,
        });
      }
      delivery.settle({
        channel: destination.label,
        success: result.ok,
        attempts: delivery.attempts,
        message: result.message,
      });
      return;
    }
    const delay = Math.min(
      this.config.notifications.retryBackoffMs * 2 ** (delivery.attempts - 1),
      MAX_BACKOFF_MS,
    );
    const timer = this.clock.setTimeout(() => {
      this.retries.delete(timer);
      this.waiting.push(delivery);
      this.pump();
    }, delay);
    this.retries.set(timer, delivery);
  }

  /**
   * An attempt's outcome, or a drop, on the incident's timeline and as a `notification_sent` event, in one unit of
   * work. Never throws: a notification that cannot be recorded is logged.
   */
  private async record(
    destination: Destination,
    content: NotificationContent,
    outcome: Outcome,
  ): Promise<void> {
    const maxAttempts = this.config.notifications.maxAttempts;
    const summary =
      outcome.kind === 'dropped'
        ? 'dropped: the notification queue is full'
        : `${outcome.kind === 'success' ? 'delivered' : 'failed'}: ${outcome.message} (attempt ${outcome.attempt} of ${maxAttempts})`;
    try {
      await this.incidents.change(content.incident.id, (incident, events, now) => {
        addTimeline(
          incident,
          now,
          'NotificationSent',
          NOTIFICATION_ACTOR,
          `Notification (${content.trigger}) to ${destination.label} ${summary}`,
          {
            channel: destination.label,
            channel_type: destination.type,
            trigger: content.trigger,
            outcome: outcome.kind,
            attempt: String(outcome.attempt),
            status: outcome.status === null ? '' : String(outcome.status),
            delivery_id: outcome.deliveryId ?? '',
          },
        );
        events.record(
          {
            event_type: EventType.NotificationSent,
            incident_id: incident.id,
            channel: destination.label,
            success: outcome.kind === 'success',
            attempt: outcome.attempt,
            status_code: outcome.status,
            error: outcome.kind === 'success' ? null : outcome.message,
          },
          incident,
        );
        return true;
      });
    } catch (error) {
      this.logger.warn(
        `could not record a notification attempt for incident ${content.incident.id}: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  }

  private dropped(destination: Destination, message: string): DeliveryOutcome {
    this.attemptsCounter.inc({ channel: destination.label, outcome: 'dropped' });
    return { channel: destination.label, success: false, attempts: 0, message };
  }

  private updateDepth(): void {
    this.depthGauge.set(this.depth);
  }
}
