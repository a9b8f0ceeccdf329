import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import type { SubscribeMessageDto, UnsubscribeMessageDto } from '../protocol/client-messages.dto';
import type { StreamConnection } from '../connections/stream-connection';
import { StreamError } from '../protocol/stream-error';
import { StreamMetrics } from '../stream-metrics';
import {
  ServerMessageType,
  StreamErrorCode,
  SubscribedMessage,
  UnsubscribedMessage,
} from '../protocol/stream-protocol';
import { SubscriptionFilter } from './subscription-filter';
import { SubscriptionIndex } from './subscription-index';

/** Adds, replaces and removes a connection's subscriptions, keeping the fan-out index in step. */
@Injectable()
export class SubscriptionService {
  private readonly maxSubscriptions: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly index: SubscriptionIndex<StreamConnection>,
    private readonly metrics: StreamMetrics,
  ) {
    this.maxSubscriptions = config.streaming.maxSubscriptions;
  }

  /** Subscribes (or replaces the filters of the same subscription id). Over the limit nothing changes. */
  subscribe(connection: StreamConnection, message: SubscribeMessageDto): SubscribedMessage {
    const subscriptions = connection.subscriptions;
    const isNew = !subscriptions.has(message.subscription_id);
    if (isNew && subscriptions.size >= this.maxSubscriptions) {
      throw new StreamError(
        StreamErrorCode.SubscriptionLimit,
        `at most ${this.maxSubscriptions} subscriptions per connection`,
      );
    }
    const asked = SubscriptionFilter.from(message.filters);
    // A credential's constraint narrows every subscription; a client can narrow it further, never widen it.
    const filter = connection.constraint === null ? asked : asked.within(connection.constraint);
    subscriptions.set(message.subscription_id, filter);
    this.index.update(connection, subscriptions.values());
    if (isNew) this.metrics.subscriptionsChanged(1);
    return {
      type: ServerMessageType.Subscribed,
      subscription_id: message.subscription_id,
      filters: filter.echo,
    };
  }

  unsubscribe(connection: StreamConnection, message: UnsubscribeMessageDto): UnsubscribedMessage {
    const subscriptions = connection.subscriptions;
    if (!subscriptions.delete(message.subscription_id)) {
      throw new StreamError(
        StreamErrorCode.NotFound,
        `subscription ${JSON.stringify(message.subscription_id)} not found`,
      );
    }
    this.index.update(connection, subscriptions.values());
    this.metrics.subscriptionsChanged(-1);
    return { type: ServerMessageType.Unsubscribed, subscription_id: message.subscription_id };
  }
}
