import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram } from 'prom-client';
import { EventPriority } from '../events/event-priority';
import { EVENT_TYPES, EventType } from '../events/event.types';
import { Metric } from '../metrics/metric-names';
import { zeroSeries } from '../metrics/zero-series';
import { CLIENT_MESSAGE_TYPES, RejectedFrame, ServerMessageType } from './protocol/stream-protocol';
import type { OutboundFrame } from './transport/outbound-frame';
import { EVENT_TYPE_INDEX } from './routing/subscription-index';

const PRIORITY_NAMES: Record<number, string> = {
  [EventPriority.Low]: 'low',
  [EventPriority.Normal]: 'normal',
  [EventPriority.High]: 'high',
  [EventPriority.Critical]: 'critical',
};

/** Why a connection failed or was refused: the `reason` label of websocket_connection_errors_total. */
export const ConnectionErrorReason = {
  MessageTooLarge: 'message_too_large',
  ProtocolError: 'protocol_error',
  SocketError: 'socket_error',
  ConnectionLimit: 'connection_limit',
  IpConnectionLimit: 'ip_connection_limit',
  /** An upgrade from a browser page whose Origin is not allowed (refused with HTTP 403, before the handshake). */
  OriginNotAllowed: 'origin_not_allowed',
  RateLimit: 'rate_limit',
  HeartbeatTimeout: 'heartbeat_timeout',
  /** No valid credential at the upgrade, a revoked key or an expired token (4001). */
  Unauthorized: 'unauthorized',
  /** A valid credential without `stream:read` (4003). */
  Forbidden: 'forbidden',
} as const;
export type ConnectionErrorReason = (typeof ConnectionErrorReason)[keyof typeof ConnectionErrorReason];

/**
 * The streaming metrics (contract section 5), updated where things happen. Per-frame writes are the hot path:
 * they are tallied in plain numbers and added to the Prometheus counters once per flush pass (`commitWrites`), and
 * the latency histogram gets one observation per event frame per flush pass (every recipient written in one pass
 * shares that write time) instead of one per recipient. Every series with known label values exists from the
 * start, at 0.
 */
@Injectable()
export class StreamMetrics {
  private readonly deliveredByType = new Array<number>(EVENT_TYPES.length).fill(0);
  private eventFramesWritten = 0;
  private pass = 1;

  constructor(
    @InjectMetric(Metric.WsActiveConnections) private readonly activeConnections: Gauge<string>,
    @InjectMetric(Metric.WsTotalConnections) private readonly totalConnections: Counter<string>,
    @InjectMetric(Metric.WsActiveSubscriptions) private readonly activeSubscriptions: Gauge<string>,
    @InjectMetric(Metric.WsMessagesSent) private readonly messagesSent: Counter<string>,
    @InjectMetric(Metric.WsMessagesReceived) private readonly messagesReceived: Counter<string>,
    @InjectMetric(Metric.WsEventsBroadcast) private readonly eventsBroadcast: Counter<string>,
    @InjectMetric(Metric.WsEventsDelivered) private readonly eventsDelivered: Counter<string>,
    @InjectMetric(Metric.WsConnectionErrors) private readonly connectionErrors: Counter<string>,
    @InjectMetric(Metric.WsSendErrors) private readonly sendErrors: Counter<string>,
    @InjectMetric(Metric.WsSessionDuration) private readonly sessionDuration: Histogram<string>,
    @InjectMetric(Metric.WsMessageLatency) private readonly messageLatency: Histogram<string>,
    @InjectMetric(Metric.WsBroadcastChannelUsage) private readonly channelUsage: Gauge<string>,
    @InjectMetric(Metric.MessagesShed) private readonly messagesShed: Counter<string>,
    @InjectMetric(Metric.MessagesDropped) private readonly messagesDropped: Counter<string>,
    @InjectMetric(Metric.SlowConsumersClosed) private readonly slowConsumersClosed: Counter<string>,
    @InjectMetric(Metric.SlowConsumerCloseTimeouts)
    private readonly slowConsumerCloseTimeouts: Counter<string>,
    @InjectMetric(Metric.EventsReplayed) private readonly eventsReplayedTotal: Counter<string>,
  ) {
    zeroSeries(connectionErrors, { reason: Object.values(ConnectionErrorReason) });
    zeroSeries(messagesSent, { type: Object.values(ServerMessageType) });
    zeroSeries(messagesReceived, { type: [...CLIENT_MESSAGE_TYPES, ...Object.values(RejectedFrame)] });
    zeroSeries(eventsBroadcast, { event_type: EVENT_TYPES });
    zeroSeries(eventsDelivered, { event_type: EVENT_TYPES });
    zeroSeries(messagesShed, { priority: Object.values(PRIORITY_NAMES) });
  }

  connectionOpened(): void {
    this.activeConnections.inc();
    this.totalConnections.inc();
  }

  connectionClosed(sessionSeconds: number, subscriptions: number): void {
    this.activeConnections.dec();
    if (subscriptions > 0) this.activeSubscriptions.dec(subscriptions);
    this.sessionDuration.observe(sessionSeconds);
  }

  connectionError(reason: ConnectionErrorReason): void {
    this.connectionErrors.inc({ reason });
  }

  subscriptionsChanged(delta: number): void {
    if (delta > 0) this.activeSubscriptions.inc(delta);
    else if (delta < 0) this.activeSubscriptions.dec(-delta);
  }

  messageReceived(type: string): void {
    this.messagesReceived.inc({ type });
  }

  eventsReplayed(count: number): void {
    if (count > 0) this.eventsReplayedTotal.inc(count);
  }

  eventPublished(type: EventType): void {
    this.eventsBroadcast.inc({ event_type: type });
  }

  /** Records one frame written to a socket. */
  frameWritten(frame: OutboundFrame): void {
    if (frame.eventType === null) {
      this.messagesSent.inc({ type: frame.type });
      return;
    }
    this.eventFramesWritten += 1;
    this.deliveredByType[EVENT_TYPE_INDEX[frame.eventType]] += 1;
    // Replayed events (publishedAt NaN) were published long ago: their wait is not a delivery latency.
    if (frame.latencyPass !== this.pass && !Number.isNaN(frame.publishedAt)) {
      frame.latencyPass = this.pass;
      this.messageLatency.observe((performance.now() - frame.publishedAt) / 1000);
    }
  }

  /** Adds the writes tallied since the last call to the counters; called once per flush pass. */
  commitWrites(): void {
    this.pass += 1;
    if (this.eventFramesWritten === 0) return;
    this.messagesSent.inc({ type: 'event' }, this.eventFramesWritten);
    this.eventFramesWritten = 0;
    for (let i = 0; i < this.deliveredByType.length; i++) {
      if (this.deliveredByType[i] === 0) continue;
      this.eventsDelivered.inc({ event_type: EVENT_TYPES[i] }, this.deliveredByType[i]);
      this.deliveredByType[i] = 0;
    }
  }

  sendError(): void {
    this.sendErrors.inc();
  }

  shed(priority: number): void {
    this.messagesShed.inc({ priority: PRIORITY_NAMES[priority] ?? String(priority) });
  }

  dropped(count: number): void {
    if (count > 0) this.messagesDropped.inc(count);
  }

  slowConsumerClosed(): void {
    this.slowConsumersClosed.inc();
  }

  slowConsumerCloseTimedOut(): void {
    this.slowConsumerCloseTimeouts.inc();
  }

  /** Events waiting for fan-out in the last flush pass, divided by the broadcast capacity. */
  broadcastUsage(ratio: number): void {
    this.channelUsage.set(ratio);
  }
}
