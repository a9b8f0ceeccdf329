import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { randomUUID } from 'node:crypto';
import { Counter, Gauge } from 'prom-client';
import { Clock, Timer } from '../clock/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { EventType } from '../events/event.types';
import { addTimeline } from '../incidents/incident-lifecycle';
import { IncidentsService } from '../incidents/incidents.service';
import { Metric } from '../metrics/metric-names';
import type { Executor } from '../storage/database.types';
import type { ChannelType } from './notification-channel';
import { NotificationContent, NotificationTrigger, buildPayload } from './notification-content';
import {
  NotificationOutboxRepository,
  OutboxRow,
  OutboxStatus,
  OutboxUpdate,
} from './notification-outbox.repository';
import { maskHeaders, maskUrl } from './outgoing/secrets';
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

/** What became of one attempt, or of a delivery dropped before any. */
interface Outcome {
  kind: 'success' | 'failure' | 'dropped';
  attempt: number;
  status: number | null;
  message: string;
  deliveryId?: string;
}

interface Waiter {
  settle: (outcome: DeliveryOutcome) => void;
  channel: string;
  /** Attempts made so far. */
  attempts: number;
}

/** What a notification_sent and its timeline entry name: the incident, why, and where. */
interface Recipient {
  incidentId: string;
  trigger: NotificationTrigger;
  destination: Pick<Destination, 'label' | 'type'>;
}

export const NOTIFICATION_ACTOR = 'notification-service';
const MAX_BACKOFF_MS = 5 * 60_000;
/**
 * A claim lasts one request (NOTIFICATION_TIMEOUT, which also bounds the DNS check) plus this for recording the
 * outcome. A row whose worker died is claimed again once its lease ends (at once at start on SQLite).
 */
const LEASE_MARGIN_MS = 30_000;
/** Safety net: rows another node enqueued, or a pump that failed, are picked up within this. */
const POLL_INTERVAL_MS = 5_000;
/** Due rows read per claim round; a backlog takes more rounds. */
const CLAIM_WINDOW = 64;
/** Finished rows are kept this long (the outcome per delivery id), then deleted. */
const FINISHED_RETENTION_MS = 24 * 60 * 60_000;
const PRUNE_INTERVAL_MS = 60 * 60_000;

/**
 * Sends notifications through a durable outbox (table `notification_outbox`). Enqueuing stores a row and returns at
 * once, never waiting for the network, so a dead or slow receiver never holds up whoever triggered the notification.
 * A worker claims due rows (with a lease, so that a second node would not deliver them twice) up to a fixed number
 * of concurrent deliveries, at most half of them to any one destination, and records each attempt's outcome on its
 * row, on the incident (a NotificationSent timeline entry) and as a `notification_sent` event in one transaction; a
 * failed attempt is retried with exponential backoff (`next_attempt_at`). A restart or a crash loses nothing: the
 * rows are picked up again with their attempt count, and every request carries the row's id as `x-delivery-id`
 * (stable across retries and restarts) so that receivers can drop duplicates.
 *
 * The outbox is bounded (NOTIFICATION_QUEUE_SIZE undelivered rows): beyond it a new delivery is dropped, counted
 * (outcome `dropped`) and recorded like a failed attempt (`notification_sent` with `error: "dropped"`).
 */
@Injectable()
export class NotificationQueueService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NotificationQueueService.name);
  /** This process's name on the leases it takes. */
  private readonly owner = randomUUID();
  /** Attempts in flight, by delivery id. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** In-flight deliveries per destination URL. */
  private readonly busy = new Map<string, number>();
  /** Whoever enqueued a delivery in this process and waits for its final outcome, by delivery id. */
  private readonly waiters = new Map<string, Waiter>();
  /** Writes that change how many rows are undelivered (inserts, final outcomes), until they complete. */
  private readonly writes = new Set<Promise<unknown>>();
  /** Bumped whenever `undelivered` changes here, so that a count read meanwhile is not applied over it. */
  private generation = 0;
  /** Undelivered rows in the outbox, as far as this process knows (re-counted from the database as it runs). */
  private undelivered = 0;
  /** Enqueued deliveries whose row is being inserted. */
  private inserting = 0;
  private started = false;
  private stopping = false;
  /** Aborts the requests in flight at shutdown. */
  private readonly shutdown = new AbortController();
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private timer: Timer | undefined;
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly client: WebhookClient,
    private readonly incidents: IncidentsService,
    private readonly outbox: NotificationOutboxRepository,
    @InjectMetric(Metric.Notifications) private readonly attemptsCounter: Counter<string>,
    @InjectMetric(Metric.NotificationQueueDepth) private readonly depthGauge: Gauge<string>,
  ) {}

  /** Deliveries waiting, in flight or waiting for a retry: the undelivered rows of the outbox. */
  get depth(): number {
    return this.undelivered + this.inserting;
  }

  /**
   * Queues one delivery (stores its row) and returns at once; the promise settles with the final outcome (after the
   * last attempt), and never rejects. At shutdown it settles with `server is shutting down` while the delivery
   * itself stays stored and goes on after the restart.
   */
  enqueue(destination: Destination, content: NotificationContent): Promise<DeliveryOutcome> {
    if (this.depth >= this.config.notifications.queueSize) {
      this.logger.warn(
        `notification queue full (${this.depth}); dropped a notification to ${destination.label}`,
      );
      // Not awaited: whoever notifies must not wait on a write when the queue is already overloaded.
      void this.record(recipientOf(destination, content), {
        kind: 'dropped',
        attempt: 0,
        status: null,
        message: 'dropped',
      });
      return Promise.resolve(this.dropped(destination, 'notification queue is full'));
    }
    const now = this.clock.nowIso();
    const row: OutboxRow = {
      id: randomUUID(),
      incident_id: content.incident.id,
      trigger: content.trigger,
      channel_label: destination.label,
      channel_type: destination.type,
      url: destination.url,
      // Stored as given, credentials included: without them the delivery could not be made after a restart. They
      // are never returned by the API and are masked once the row is finished.
      headers: JSON.stringify(destination.headers),
      body: JSON.stringify(buildPayload(destination.type, content, destination.label, now)),
      attempts: 0,
      status: OutboxStatus.Pending,
      next_attempt_at: now,
      leased_until: null,
      lease_owner: null,
      last_status_code: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    };
    return new Promise<DeliveryOutcome>((settle) => {
      this.waiters.set(row.id, { settle, channel: destination.label, attempts: 0 });
      this.inserting += 1;
      this.updateDepth();
      void this.track(
        this.outbox.insert(row).then(
          () => {
            this.inserting -= 1;
            this.changeUndelivered(1);
            if (this.stopping) this.settleDeferred(row.id);
            else this.wake();
          },
          (error: unknown) => {
            this.inserting -= 1;
            this.updateDepth();
            this.logger.error(`could not store a notification to ${destination.label}: ${describe(error)}`);
            this.waiters.delete(row.id);
            settle(this.dropped(destination, 'could not store the notification'));
          },
        ),
      );
    });
  }

  /** Starts the worker: rows left by the previous run (pending, waiting for a retry, or cut in flight) go on. */
  async onApplicationBootstrap(): Promise<void> {
    if (this.outbox.singleProcess) {
      const released = await this.outbox.releaseAll(this.clock.nowIso());
      if (released > 0) this.logger.log(`${released} notification(s) cut in flight by the last stop resume`);
    }
    // Rows inserted before the worker started are counted by the database, not twice.
    await Promise.allSettled([...this.writes]);
    this.undelivered = await this.outbox.countUnfinished();
    this.generation += 1;
    this.updateDepth();
    this.started = true;
    this.wake();
  }

  /**
   * Stops claiming, cuts the requests in flight and puts their rows back with their attempt count (a cut request
   * is not an attempt: it is made again, with the same `x-delivery-id`, after the restart). Nothing is lost: every
   * undelivered row stays in the outbox. Waiting enqueuers get `server is shutting down`.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.timer?.cancel();
    this.timer = undefined;
    this.shutdown.abort();
    await this.pumping;
    await Promise.allSettled([...this.writes]);
    await Promise.allSettled([...this.inFlight.values()]);
    for (const id of [...this.waiters.keys()]) this.settleDeferred(id);
    this.updateDepth();
  }

  /** Runs the pump now, or once more after the one in progress. */
  private wake(): void {
    if (!this.started || this.stopping) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = (async () => {
      do {
        this.pumpAgain = false;
        await this.pump();
      } while (this.pumpAgain && !this.stopping);
      this.pumping = null;
    })();
  }

  /**
   * Claims due rows while workers are free, oldest due first, skipping destinations that already use their share
   * of the workers (a hanging receiver can hold at most half of them, so the others keep flowing), then arms the
   * timer for the next row to fall due. Never throws.
   */
  private async pump(): Promise<void> {
    let next = this.clock.now() + POLL_INTERVAL_MS;
    try {
      await this.recount();
      await this.prune();
      const { concurrency } = this.config.notifications;
      const perDestination = Math.max(1, Math.ceil(concurrency / 2));
      for (let round = 0; round < 10 && !this.stopping; round += 1) {
        const free = concurrency - this.inFlight.size;
        if (free <= 0) break;
        const now = this.clock.now();
        const taken = new Map<string, number>();
        let accepted = 0;
        const { rows, full } = await this.outbox.claim({
          now: new Date(now).toISOString(),
          leasedUntil: new Date(now + this.leaseMs()).toISOString(),
          owner: this.owner,
          window: CLAIM_WINDOW,
          excludeUrls: [...this.busy].filter(([, n]) => n >= perDestination).map(([url]) => url),
          accept: (row) => {
            const used = (this.busy.get(row.url) ?? 0) + (taken.get(row.url) ?? 0);
            if (accepted >= free || used >= perDestination) return false;
            taken.set(row.url, (taken.get(row.url) ?? 0) + 1);
            accepted += 1;
            return true;
          },
        });
        for (const row of rows) this.start(row);
        if (!full) break;
      }
      // Rows due now that were not claimed wait for a worker or their destination's share: a finishing attempt
      // wakes the pump. Only a later due time needs the timer.
      const due = await this.outbox.nextDueAt();
      const dueAt = due === null ? Number.POSITIVE_INFINITY : Date.parse(due);
      if (dueAt > this.clock.now()) next = Math.min(next, dueAt);
    } catch (error) {
      this.logger.error(`notification outbox: ${describe(error)}`);
    }
    this.arm(next);
  }

  private arm(at: number): void {
    if (this.stopping) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.wake();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  /** Takes the undelivered count from the database (other nodes' rows), unless a write of ours races the count. */
  private async recount(): Promise<void> {
    if (this.writes.size > 0) return;
    const generation = this.generation;
    const count = await this.outbox.countUnfinished();
    if (this.writes.size > 0 || generation !== this.generation) return;
    this.undelivered = count;
    this.updateDepth();
  }

  private async prune(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastPruneAt < PRUNE_INTERVAL_MS) return;
    this.lastPruneAt = now;
    await this.outbox.pruneFinished(new Date(now - FINISHED_RETENTION_MS).toISOString());
  }

  private start(row: OutboxRow): void {
    // Our own lease ran out while the attempt was still recording and we claimed the row again: the attempt in
    // flight settles it.
    if (this.inFlight.has(row.id)) return;
    const key = row.url;
    this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    const attempt = this.attempt(row)
      .catch((error: unknown) => {
        this.logger.error(`notification delivery failed unexpectedly: ${describe(error)}`);
      })
      .finally(() => {
        this.inFlight.delete(row.id);
        const left = (this.busy.get(key) ?? 1) - 1;
        if (left > 0) this.busy.set(key, left);
        else this.busy.delete(key);
        this.wake();
      });
    this.inFlight.set(row.id, attempt);
  }

  private async attempt(row: OutboxRow): Promise<void> {
    const destination = destinationOf(row);
    const number = row.attempts + 1;
    const result = this.shutdown.signal.aborted
      ? null
      : await this.client.post({
          url: destination.url,
          body: JSON.parse(row.body) as unknown,
          headers: {
            ...destination.headers,
            'x-delivery-id': row.id,
            'x-delivery-attempt': String(number),
          },
          timeoutMs: this.config.notifications.timeoutMs,
          signal: this.shutdown.signal,
        });
    if (result === null || (result.message === WebhookMessage.Aborted && this.shutdown.signal.aborted)) {
      // Cut by shutdown: not an attempt. The row goes back as it was and is sent again after the restart.
      await this.outbox.release(row.id, this.owner, this.clock.nowIso());
      return;
    }
    this.attemptsCounter.inc({ channel: destination.label, outcome: result.ok ? 'success' : 'failure' });

    // A refused destination is not retried: it would be refused again.
    const final =
      result.ok ||
      result.message === WebhookMessage.Blocked ||
      number >= this.config.notifications.maxAttempts;
    const now = this.clock.now();
    const update: OutboxUpdate = {
      status: final ? (result.ok ? OutboxStatus.Delivered : OutboxStatus.Failed) : OutboxStatus.Pending,
      attempts: number,
      next_attempt_at: final ? null : new Date(now + this.backoffMs(number)).toISOString(),
      last_status_code: result.status,
      last_error: result.ok ? null : result.message,
      updated_at: new Date(now).toISOString(),
      // A finished row keeps no credentials.
      ...(final ? { url: maskUrl(row.url), headers: JSON.stringify(maskHeaders(destination.headers)) } : {}),
    };
    const held = await this.track(
      this.record(
        recipientOf(destination, row),
        {
          kind: result.ok ? 'success' : 'failure',
          attempt: number,
          status: result.status,
          message: result.message,
          deliveryId: row.id,
        },
        (executor) => this.outbox.finish(row.id, this.owner, update, executor),
      ),
    );
    if (!held) {
      // Another worker took the row over (our lease ran out): its outcome is that worker's to record.
      this.logger.warn(`notification ${row.id} to ${destination.label}: lease lost, outcome not recorded`);
      return;
    }
    const waiter = this.waiters.get(row.id);
    if (!final) {
      if (waiter) waiter.attempts = number;
      return;
    }
    this.changeUndelivered(-1);
    if (!result.ok) {
      this.logger.warn({
        msg: `notification failed after ${number} attempt(s): ${result.message}`,
        incident_id: row.incident_id,
        channel: destination.label,
        attempts: number,
        status_code: result.status,
        delivery_id: row.id,
        detail: result.detail,
      });
    }
    this.waiters.delete(row.id);
    waiter?.settle({
      channel: destination.label,
      success: result.ok,
      attempts: number,
      message: result.message,
    });
  }

  /**
   * An attempt's outcome, or a drop, on the incident's timeline and as a `notification_sent` event, in one unit of
   * work; `finish` stores the outcome on the outbox row in the same transaction, so that an attempt is recorded
   * exactly once even if the process dies right after. Returns what `finish` returned (true without one). Never
   * throws: a notification that cannot be recorded on its incident is logged, and its row is still updated.
   */
  private async record(
    recipient: Recipient,
    outcome: Outcome,
    finish?: (executor?: Executor) => Promise<boolean>,
  ): Promise<boolean> {
    const { destination } = recipient;
    const maxAttempts = this.config.notifications.maxAttempts;
    const summary =
      outcome.kind === 'dropped'
        ? 'dropped: the notification queue is full'
        : `${outcome.kind === 'success' ? 'delivered' : 'failed'}: ${outcome.message} (attempt ${outcome.attempt} of ${maxAttempts})`;
    let held = true;
    try {
      await this.incidents.change(recipient.incidentId, async (incident, events, now, tx) => {
        held = finish ? await finish(tx) : true;
        if (!held) return false;
        addTimeline(
          incident,
          now,
          'NotificationSent',
          NOTIFICATION_ACTOR,
          `Notification (${recipient.trigger}) to ${destination.label} ${summary}`,
          {
            channel: destination.label,
            channel_type: destination.type,
            trigger: recipient.trigger,
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
      return held;
    } catch (error) {
      this.logger.warn(
        `could not record a notification attempt for incident ${recipient.incidentId}: ${describe(error)}`,
      );
    }
    if (!finish) return true;
    try {
      return await finish();
    } catch (error) {
      // The row keeps its lease; once it ends the attempt is made again (same number, same x-delivery-id).
      this.logger.error(`could not store a notification outcome: ${describe(error)}`);
      return false;
    }
  }

  private backoffMs(attempts: number): number {
    return Math.min(this.config.notifications.retryBackoffMs * 2 ** (attempts - 1), MAX_BACKOFF_MS);
  }

  private leaseMs(): number {
    return this.config.notifications.timeoutMs + LEASE_MARGIN_MS;
  }

  private track<T>(write: Promise<T>): Promise<T> {
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write)).catch(() => undefined);
    return write;
  }

  private changeUndelivered(delta: number): void {
    this.undelivered = Math.max(0, this.undelivered + delta);
    this.generation += 1;
    this.updateDepth();
  }

  /** The enqueuer stops waiting; the delivery stays stored and goes on after the restart. */
  private settleDeferred(id: string): void {
    const waiter = this.waiters.get(id);
    if (!waiter) return;
    this.waiters.delete(id);
    waiter.settle({
      channel: waiter.channel,
      success: false,
      attempts: waiter.attempts,
      message: 'server is shutting down',
    });
  }

  private dropped(destination: Destination, message: string): DeliveryOutcome {
    this.attemptsCounter.inc({ channel: destination.label, outcome: 'dropped' });
    return { channel: destination.label, success: false, attempts: 0, message };
  }

  private updateDepth(): void {
    this.depthGauge.set(this.depth);
  }
}

function destinationOf(row: OutboxRow): Destination {
  return {
    label: row.channel_label,
    type: row.channel_type as ChannelType,
    url: row.url,
    headers: JSON.parse(row.headers) as Record<string, string>,
  };
}

function recipientOf(
  destination: Pick<Destination, 'label' | 'type'>,
  source: NotificationContent | OutboxRow,
): Recipient {
  return 'incident' in source
    ? { incidentId: source.incident.id, trigger: source.trigger, destination }
    : { incidentId: source.incident_id, trigger: source.trigger as NotificationTrigger, destination };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
