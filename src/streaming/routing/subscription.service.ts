import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { BroadcasterService } from '../../events/broadcaster.service';
import { EventLogRepository } from '../../events/event-log.repository';
import { EventPublisher } from '../../events/event-publisher.service';
import type { SubscribeMessageDto, UnsubscribeMessageDto } from '../protocol/client-messages.dto';
import { MAX_RETIRED_SUBSCRIPTIONS, StreamConnection } from '../connections/stream-connection';
import { StreamError } from '../protocol/stream-error';
import { StreamMetrics } from '../stream-metrics';
import {
  ServerMessageType,
  StreamErrorCode,
  SnapshotMessage,
  SubscribedMessage,
  UnsubscribedMessage,
} from '../protocol/stream-protocol';
import { ReplayService } from '../replay/replay.service';
import { Snapshot, SnapshotReader } from '../replay/snapshot.reader';
import { setTimeout as delay } from 'node:timers/promises';
import { Subscription } from './subscription';
import { SubscriptionFilter } from './subscription-filter';
import { SubscriptionIndex } from './subscription-index';

/** How often a catch-up that read ahead of this node's broadcaster looks at its head again. */
const HEAD_WAIT_MS = 5;

/**
 * Adds, replaces and removes a connection's subscriptions, keeping the fan-out index in step; catches a resumed
 * subscription up from the log and reads the snapshot of one that asks for it (contract section 7).
 *
 * Where a subscription's live stream starts is exact because routing it and reading the broadcaster's head happen in
 * the same turn: every event up to the head is stored, every later one reaches the index after it is routed.
 */
@Injectable()
export class SubscriptionService {
  private readonly maxSubscriptions: number;
  private readonly snapshotLimit: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly index: SubscriptionIndex<StreamConnection>,
    private readonly metrics: StreamMetrics,
    private readonly broadcaster: BroadcasterService,
    private readonly publisher: EventPublisher,
    private readonly log: EventLogRepository,
    private readonly replays: ReplayService,
    private readonly snapshots: SnapshotReader,
  ) {
    this.maxSubscriptions = config.streaming.maxSubscriptions;
    this.snapshotLimit = config.streaming.snapshotLimit;
  }

  /**
   * Subscribes (or replaces the filters of the same subscription id). Over the limit nothing changes. A plain
   * subscription is answered at once; with `resume_from` or `snapshot` the answer is queued here (undefined is
   * returned), ahead of the replay or snapshot that follows it.
   */
  subscribe(
    connection: StreamConnection,
    message: SubscribeMessageDto,
  ): SubscribedMessage | Promise<undefined> {
    if (message.resume_from !== undefined && message.snapshot === true) {
      throw StreamError.invalidMessage('resume_from and snapshot cannot be used together');
    }
    const filter = this.admit(connection, message);
    if (message.resume_from !== undefined) {
      return this.resume(connection, message, filter, message.resume_from);
    }
    if (message.snapshot === true) return this.subscribeWithSnapshot(connection, message, filter);
    const subscription = new Subscription(message.subscription_id, filter, this.broadcaster.head);
    this.route(connection, subscription);
    return subscribed(subscription);
  }

  unsubscribe(connection: StreamConnection, message: UnsubscribeMessageDto): UnsubscribedMessage {
    const subscription = connection.subscriptions.get(message.subscription_id);
    if (subscription === undefined) {
      throw new StreamError(
        StreamErrorCode.NotFound,
        `subscription ${JSON.stringify(message.subscription_id)} not found`,
      );
    }
    connection.subscriptions.delete(message.subscription_id);
    this.retire(connection, subscription);
    this.index.update(connection, filtersOf(connection));
    this.metrics.subscriptionsChanged(-1);
    return { type: ServerMessageType.Unsubscribed, subscription_id: message.subscription_id };
  }

  /** The subscription's filters narrowed by the credential's constraint; refused over the subscription limit. */
  private admit(connection: StreamConnection, message: SubscribeMessageDto): SubscriptionFilter {
    if (
      !connection.subscriptions.has(message.subscription_id) &&
      connection.subscriptions.size >= this.maxSubscriptions
    ) {
      throw new StreamError(
        StreamErrorCode.SubscriptionLimit,
        `at most ${this.maxSubscriptions} subscriptions per connection`,
      );
    }
    const asked = SubscriptionFilter.from(message.filters);
    // A credential's constraint narrows every subscription; a client can narrow it further, never widen it.
    return connection.constraint === null ? asked : asked.within(connection.constraint);
  }

  /** Puts the subscription in place of any with its id, and in the routing table: it is live from here on. */
  private route(connection: StreamConnection, subscription: Subscription): void {
    const replaced = connection.subscriptions.get(subscription.id);
    connection.subscriptions.set(subscription.id, subscription);
    if (replaced === undefined) this.metrics.subscriptionsChanged(1);
    else this.retire(connection, replaced);
    this.index.update(connection, filtersOf(connection));
  }

  /** Remembers what an ended subscription delivered, so that a later replay on this connection skips it. */
  private retire(connection: StreamConnection, subscription: Subscription): void {
    subscription.end(this.broadcaster.head);
    const retired = (connection.retired ??= []);
    retired.push(subscription);
    if (retired.length > MAX_RETIRED_SUBSCRIPTIONS) retired.shift();
  }

  /**
   * `resume_from`: `subscribed` with `resumed`, then the stored matching events after `resume_from`, read from the
   * log until the replay has caught up with the head, then `replay_complete` and live events: the subscription is
   * routed in the same turn in which its replay reaches the head, so nothing falls between. Its live events while
   * it replays come from the log too: nothing is held in memory, however long the backlog. When the events after
   * `resume_from` are not all stored any more (retention) or it lies beyond the log, nothing is replayed and the
   * subscription is live at once.
   */
  private async resume(
    connection: StreamConnection,
    message: SubscribeMessageDto,
    filter: SubscriptionFilter,
    resumeFrom: number,
  ): Promise<undefined> {
    const position = this.broadcaster.head;
    const oldest = await this.log.oldestSequence();
    if (!connection.isOpen) return undefined;
    // The log holds every event in (oldest - 1, head]; an empty log holds none before the position.
    const resumable = resumeFrom <= position && resumeFrom >= (oldest ?? position + 1) - 1;
    if (!resumable) {
      const live = new Subscription(message.subscription_id, filter, this.broadcaster.head);
      this.route(connection, live);
      connection.reply({ ...subscribed(live), resumed: false, oldest_sequence: oldest });
      return undefined;
    }
    const subscription = new Subscription(
      message.subscription_id,
      filter,
      Number.POSITIVE_INFINITY,
      resumeFrom,
    );
    this.route(connection, subscription);
    connection.reply({ ...subscribed(subscription), position, resumed: true });
    connection.runReplay(() => this.catchUp(connection, subscription, position));
    return undefined;
  }

  /**
   * Replays up to the head, again and again while it moves, then routes the subscription (see `resume`); announces
   * it with `replay_complete` unless it follows a snapshot (whose answer is `subscribed` and `snapshot` alone).
   */
  private async catchUp(
    connection: StreamConnection,
    subscription: Subscription,
    position: number,
    announce = true,
  ): Promise<void> {
    let replayed = 0;
    let through = position;
    for (;;) {
      replayed += await this.replays.replay(connection, subscription, through);
      if (!connection.isOpen || connection.subscriptions.get(subscription.id) !== subscription) return;
      const head = this.broadcaster.head;
      if (head < subscription.replayedTo) {
        // Read ahead of this node's broadcaster (a snapshot on PostgreSQL may include other nodes' latest events,
        // still on their way here): going live before they arrive would deliver them twice. They are committed,
        // so the broadcaster reaches them (from the bus, or its poll of the log) within moments.
        await delay(HEAD_WAIT_MS);
        continue;
      }
      if (subscription.replayedTo >= head) {
        // Caught up, in this very turn: every later event is published after the subscription is routed.
        subscription.goLive(head);
        this.index.update(connection, filtersOf(connection));
        break;
      }
      through = head;
    }
    if (!announce) return;
    connection.reply({
      type: ServerMessageType.ReplayComplete,
      subscription_id: subscription.id,
      replayed,
      position: subscription.liveFrom,
    });
  }

  /**
   * `snapshot: true`: routed at a quiescent point of the publisher, where the matching active incidents are read as
   * of the log's head; then `subscribed`, `snapshot`, and the live events after the position (held meanwhile).
   */
  private async subscribeWithSnapshot(
    connection: StreamConnection,
    message: SubscribeMessageDto,
    filter: SubscriptionFilter,
  ): Promise<undefined> {
    if (this.snapshots.readsOwnPosition) return this.subscribeWithStoredSnapshot(connection, message, filter);
    connection.beginCatchUp();
    try {
      const { subscription, snapshot } = await this.publisher.atQuiescentPoint(async (head) => {
        const routed = new Subscription(message.subscription_id, filter, head);
        if (connection.isOpen) this.route(connection, routed);
        return { subscription: routed, snapshot: await this.snapshots.read(filter, this.snapshotLimit) };
      });
      connection.reply(subscribed(subscription));
      connection.reply(snapshotMessage(subscription.id, subscription.liveFrom, snapshot));
    } finally {
      connection.endCatchUp();
    }
    return undefined;
  }

  /**
   * `snapshot: true` on PostgreSQL, where other nodes commit while this one reads: the snapshot and its position are
   * read in one transaction (SnapshotReader.readWithPosition), then the subscription catches up from that position
   * like a resumed one, silently, and is routed once it reaches the head. Holding back this node's writers would
   * not stop the others'.
   */
  private async subscribeWithStoredSnapshot(
    connection: StreamConnection,
    message: SubscribeMessageDto,
    filter: SubscriptionFilter,
  ): Promise<undefined> {
    const snapshot = await this.snapshots.readWithPosition(filter, this.snapshotLimit);
    if (!connection.isOpen) return undefined;
    const { position } = snapshot;
    const subscription = new Subscription(
      message.subscription_id,
      filter,
      Number.POSITIVE_INFINITY,
      position,
    );
    this.route(connection, subscription);
    connection.reply({ ...subscribed(subscription), position });
    connection.reply(snapshotMessage(subscription.id, position, snapshot));
    connection.runReplay(() => this.catchUp(connection, subscription, position, false));
    return undefined;
  }
}

function snapshotMessage(subscriptionId: string, position: number, snapshot: Snapshot): SnapshotMessage {
  return {
    type: ServerMessageType.Snapshot,
    subscription_id: subscriptionId,
    position,
    incidents: snapshot.incidents,
    truncated: snapshot.truncated,
  };
}

function subscribed(subscription: Subscription): SubscribedMessage {
  return {
    type: ServerMessageType.Subscribed,
    subscription_id: subscription.id,
    filters: subscription.filter.echo,
    position: subscription.liveFrom,
  };
}

/** The filters of the connection's routed subscriptions (a resumed one is routed once it has caught up). */
function filtersOf(connection: StreamConnection): SubscriptionFilter[] {
  const filters: SubscriptionFilter[] = [];
  for (const subscription of connection.subscriptions.values()) {
    if (subscription.isLive) filters.push(subscription.filter);
  }
  return filters;
}
