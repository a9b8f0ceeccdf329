import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import Redis from 'ioredis';
import type { Counter, Gauge } from 'prom-client';
import { Clock, Timer } from '../../clock/clock';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { Metric } from '../../metrics/metric-names';
import { BroadcasterService } from '../broadcaster.service';
import { EventLogRepository } from '../event-log.repository';
import type { EventEnvelope } from '../event-envelope';
import { AnnouncedEvent, ClusterSequencer } from './cluster-sequencer';

/** The Redis pub/sub channel every node announces its committed sequences on. */
export const BUS_CHANNEL = 'llm-incident-manager:events';

/** How often the log's head is read while the broker is down: other nodes' events still arrive, a little later. */
const POLL_DOWN_MS = 1000;
/** ... and while it is up: a safety net for a lost last notification (a burst's last event would wait otherwise). */
const POLL_UP_EVERY_TICKS = 5;
/**
 * The most event bytes (stored JSON) one announcement carries; the rest of a larger batch (a bulk import) is read
 * from the log by the other nodes, so a message stays small for Redis and for every node parsing it.
 */
const MAX_ANNOUNCED_BYTES = 256 * 1024;
/** Reconnection back-off ceiling: a Redis restart is noticed within about a second. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * The cross-node event bus (REDIS_URL; contract section 11). Every node announces, on one Redis channel, the events
 * it committed (`{"sequence": S, "events": [...]}`, one message per turn of its event loop, a batch's events up to
 * MAX_ANNOUNCED_BYTES); every other node delivers those that come next there straight from the message, and reads
 * anything else it has not delivered yet (up to S) from the PostgreSQL event log, the source of truth, delivering
 * every node's events in order with its own (ClusterSequencer). The log makes gaps harmless: a lost message, a
 * Redis restart or a slow node only delays delivery until the next announcement or the periodic read of the log's
 * head, which fills the gap from the log.
 *
 * While Redis is down each node keeps delivering its own events at once, stays ready, and reads the log's head every
 * second to deliver the others'; `/health` and `llm_incident_manager_broker_up` report the broker down. Without
 * REDIS_URL this service does nothing and the broadcaster publishes as on a single node.
 */
@Injectable()
export class EventBusService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventBus');
  private sequencer: ClusterSequencer | null = null;
  private publisher: Redis | null = null;
  private subscriber: Redis | null = null;
  private poll: Timer | null = null;
  private ticks = 0;
  private polling = false;
  private up = false;
  /** The highest sequence committed here and not announced yet (announced once per turn, for a whole batch). */
  private toAnnounce = 0;
  /** The events of that announcement, in order, up to MAX_ANNOUNCED_BYTES of stored JSON. */
  private announcing: AnnouncedEvent[] = [];
  private announcingBytes = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly broadcaster: BroadcasterService,
    private readonly eventLog: EventLogRepository,
    @InjectMetric(Metric.BrokerUp) private readonly brokerUpGauge: Gauge<'broker'>,
    @InjectMetric(Metric.RemoteEventsDelivered) private readonly remoteEvents: Counter<string>,
  ) {}

  /** Whether a bus is configured (REDIS_URL). */
  get enabled(): boolean {
    return this.config.bus.redisUrl !== null;
  }

  /** Whether the broker is connected (both connections ready). */
  get brokerUp(): boolean {
    return this.up;
  }

  /**
   * After every module's init, so that the broadcaster already continues after the log's head (EventPublisher
   * sets it) when the first notification is read.
   */
  onApplicationBootstrap(): void {
    const url = this.config.bus.redisUrl;
    if (url === null) return;
    const sequencer = new ClusterSequencer(this.broadcaster, this.eventLog, {
      localDelivered: (envelope) => this.announce(envelope),
      remoteDelivered: () => this.remoteEvents.inc(),
    });
    this.sequencer = sequencer;
    this.broadcaster.attach(sequencer);
    this.brokerUpGauge.set({ broker: 'redis' }, 0);

    const retryStrategy = (times: number): number => Math.min(times * 100, MAX_RECONNECT_DELAY_MS);
    // Announcements fail at once while Redis is away (no offline queue): the log-head poll covers them.
    this.publisher = new Redis(url, { retryStrategy, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    // The subscription waits for Redis however long it takes, and is renewed on every reconnection.
    this.subscriber = new Redis(url, { retryStrategy, maxRetriesPerRequest: null });
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on('ready', () => this.updateUp());
      connection.on('close', () => this.updateUp());
      connection.on('end', () => this.updateUp());
      // ioredis reconnects by itself; without a listener it would print every failed attempt.
      connection.on('error', () => undefined);
    }
    this.subscriber.on('message', (_channel: string, message: string) => this.onMessage(message));
    this.subscriber.subscribe(BUS_CHANNEL).catch((error: unknown) => {
      this.logger.warn(`could not subscribe to ${BUS_CHANNEL}: ${String(error)}`);
    });
    this.poll = this.clock.setInterval(() => this.onTick(), POLL_DOWN_MS);
  }

  /**
   * Stops listening to the other nodes. The sequencer stays attached: this node's last events (the shutdown
   * `system_event`) may still wait for older events of other nodes, read from the log, which closes after this.
   */
  async onApplicationShutdown(): Promise<void> {
    this.poll?.cancel();
    this.poll = null;
    const connections = [this.publisher, this.subscriber].filter((c): c is Redis => c !== null);
    this.publisher = null;
    this.subscriber = null;
    for (const connection of connections) connection.disconnect();
    await Promise.resolve();
  }

  private announce(envelope: EventEnvelope): void {
    if (this.toAnnounce === 0) queueMicrotask(() => this.flushAnnouncement());
    if (envelope.sequence > this.toAnnounce) this.toAnnounce = envelope.sequence;
    const bytes = envelope.eventJson.length;
    // Only a run that another node can deliver from the message: once an event is left out, so are the later ones.
    if (this.announcingBytes + bytes > MAX_ANNOUNCED_BYTES) {
      this.announcingBytes = Number.POSITIVE_INFINITY;
      return;
    }
    this.announcingBytes += bytes;
    this.announcing.push({
      // Delivered in order: the envelope came right after everything below it that this node delivered.
      after: envelope.sequence - 1,
      sequence: envelope.sequence,
      id: envelope.id,
      created_at: envelope.timestamp,
      payload: envelope.eventJson,
      match_subjects: JSON.stringify(envelope.subjects),
    });
  }

  private flushAnnouncement(): void {
    const sequence = this.toAnnounce;
    const events = this.announcing;
    this.toAnnounce = 0;
    this.announcing = [];
    this.announcingBytes = 0;
    if (this.publisher === null || !this.up) return;
    this.publisher.publish(BUS_CHANNEL, JSON.stringify({ sequence, events })).catch(() => {
      // Redis went away: the other nodes read the log's head instead.
    });
  }

  private onMessage(message: string): void {
    let announcement: { sequence?: unknown; events?: unknown };
    try {
      announcement = JSON.parse(message) as { sequence?: unknown; events?: unknown };
    } catch {
      return;
    }
    const { sequence } = announcement;
    if (typeof sequence !== 'number' || !Number.isSafeInteger(sequence) || sequence <= 0) return;
    const events = Array.isArray(announcement.events) ? announcement.events.filter(isAnnouncedEvent) : [];
    this.sequencer?.announced(sequence, events);
  }

  private updateUp(): void {
    // Shut down: the connections' last events are no news.
    if (this.publisher === null || this.subscriber === null) return;
    const up = this.publisher.status === 'ready' && this.subscriber.status === 'ready';
    if (up === this.up) return;
    this.up = up;
    this.brokerUpGauge.set({ broker: 'redis' }, up ? 1 : 0);
    if (up) {
      this.logger.log('connected to the broker (REDIS_URL): catching up from the event log');
      // What was committed while the subscription was away arrives with no announcement: read the log's head now.
      void this.readHead();
    } else {
      this.logger.warn(
        `the broker (REDIS_URL) is unreachable: delivering this node's events, reading the others' from the event log every ${POLL_DOWN_MS} ms`,
      );
    }
  }

  private onTick(): void {
    this.ticks += 1;
    if (!this.up || this.ticks % POLL_UP_EVERY_TICKS === 0) void this.readHead();
  }

  /** Delivers through the log's head (what every node committed so far). */
  private async readHead(): Promise<void> {
    if (this.polling || this.sequencer === null) return;
    this.polling = true;
    try {
      this.sequencer.committed(await this.eventLog.lastSequence());
    } catch (error) {
      this.logger.warn(`could not read the event log's head: ${String(error)}`);
    } finally {
      this.polling = false;
    }
  }
}

/** A well-formed event of an announcement (anything else is read from the log instead). */
function isAnnouncedEvent(value: unknown): value is AnnouncedEvent {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(e.after) &&
    Number.isSafeInteger(e.sequence) &&
    (e.sequence as number) > (e.after as number) &&
    typeof e.id === 'string' &&
    typeof e.created_at === 'string' &&
    typeof e.payload === 'string' &&
    (typeof e.match_subjects === 'string' || e.match_subjects === null)
  );
}
