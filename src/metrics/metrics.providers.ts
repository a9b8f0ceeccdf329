import { makeCounterProvider, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import { Metric } from './metric-names';

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Human response times, from an automated acknowledgement within seconds to a resolution the next day: 10 s, 30 s,
 * 1, 2, 5, 10, 15, 30 min, 1, 2, 4, 8, 24 h (longer ones land in +Inf, still counted in _count and _sum).
 */
const responseTimeBuckets = [10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 28800, 86400];

/**
 * Every metric the application exposes. Counters and histograms are updated where the thing happens; the
 * components that own a gauge set it (or collect it) themselves.
 */
export const metricProviders = [
  makeGaugeProvider({ name: Metric.WsActiveConnections, help: 'Open WebSocket connections' }),
  makeCounterProvider({
    name: Metric.WsTotalConnections,
    help: 'WebSocket connections accepted since start',
  }),
  makeGaugeProvider({ name: Metric.WsActiveSubscriptions, help: 'Subscriptions across all connections' }),
  makeCounterProvider({
    name: Metric.WsMessagesSent,
    help: 'Frames written to WebSocket clients, by message type',
    labelNames: ['type'],
  }),
  makeCounterProvider({
    name: Metric.WsMessagesReceived,
    help: 'Frames received from WebSocket clients, by message type',
    labelNames: ['type'],
  }),
  makeCounterProvider({
    name: Metric.WsEventsBroadcast,
    help: 'Events published to the broadcaster, by event type',
    labelNames: ['event_type'],
  }),
  makeCounterProvider({
    name: Metric.WsEventsDelivered,
    help: 'Event frames written to connections (one per matching connection)',
    labelNames: ['event_type'],
  }),
  makeCounterProvider({
    name: Metric.WsConnectionErrors,
    help: 'WebSocket connection errors and refusals, by reason',
    labelNames: ['reason'],
  }),
  makeCounterProvider({ name: Metric.WsSendErrors, help: 'Failed writes to WebSocket clients' }),
  makeHistogramProvider({
    name: Metric.WsSessionDuration,
    help: 'WebSocket session lifetime',
    buckets: [1, 10, 60, 300, 900, 3600, 14400, 86400],
  }),
  makeHistogramProvider({
    name: Metric.WsMessageLatency,
    help: 'Time from publish to socket write of an event frame',
    buckets: latencyBuckets,
  }),
  makeGaugeProvider({
    name: Metric.WsBroadcastChannelUsage,
    help: 'Events waiting for fan-out divided by WS_BROADCAST_CAPACITY',
  }),
  makeCounterProvider({
    name: Metric.HttpRequests,
    help: 'HTTP requests, by method, route and status',
    labelNames: ['method', 'route', 'status'],
  }),
  makeHistogramProvider({
    name: Metric.HttpRequestDuration,
    help: 'HTTP request duration, by method and route',
    labelNames: ['method', 'route'],
    buckets: latencyBuckets,
  }),
  makeGaugeProvider({
    name: Metric.Incidents,
    help: 'Stored incidents, by severity and state',
    labelNames: ['severity', 'state'],
  }),
  makeCounterProvider({
    name: Metric.IncidentsCreated,
    help: 'Incidents created, by severity and origin',
    labelNames: ['severity', 'origin'],
  }),
  makeCounterProvider({
    name: Metric.AlertsReceived,
    help: 'Alerts received, by origin and outcome',
    labelNames: ['origin', 'status'],
  }),
  makeCounterProvider({
    name: Metric.IngestRateLimited,
    help: 'Ingestion requests refused by the per-credential alert rate limit, by reason',
    labelNames: ['reason'],
  }),
  makeCounterProvider({ name: Metric.Deduplications, help: 'Alerts attached to an existing incident' }),
  makeCounterProvider({
    name: Metric.AlertsSuppressed,
    help: 'Alerts that matched an active silence: stored as suppressed, no incident opened or updated',
  }),
  makeCounterProvider({
    name: Metric.Escalations,
    help: 'Escalations, by trigger (manual, policy, severity_change)',
    labelNames: ['trigger'],
  }),
  makeCounterProvider({
    name: Metric.Notifications,
    help: 'Notification attempts, by channel and outcome',
    labelNames: ['channel', 'outcome'],
  }),
  makeCounterProvider({
    name: Metric.PlaybookExecutions,
    help: 'Playbook runs, by outcome',
    labelNames: ['outcome'],
  }),
  makeGaugeProvider({
    name: Metric.NotificationQueueDepth,
    help: 'Notification deliveries waiting, in flight or waiting for a retry',
  }),
  makeGaugeProvider({
    name: Metric.BrokerUp,
    help: 'Whether the cross-node event bus (REDIS_URL) is connected: 1 up, 0 down; no series on a single node',
    labelNames: ['broker'],
  }),
  makeCounterProvider({
    name: Metric.RemoteEventsDelivered,
    help: 'Events committed by other nodes, read back from the event log and delivered here (REDIS_URL)',
  }),
  makeCounterProvider({
    name: Metric.EventsReplayed,
    help: 'Stored events sent to a resuming subscriber (resume_from), counted apart from live deliveries',
  }),
  makeCounterProvider({
    name: Metric.MessagesShed,
    help: 'Event frames shed from a full connection queue, by priority',
    labelNames: ['priority'],
  }),
  makeCounterProvider({
    name: Metric.MessagesDropped,
    help: 'Frames dropped because the connection was closing or closed',
  }),
  makeCounterProvider({
    name: Metric.AuthFailures,
    help: 'Credentials refused (401/4001) or lacking the scope (403/4003), by reason and transport',
    labelNames: ['reason', 'transport'],
  }),
  makeCounterProvider({
    name: Metric.SlowConsumersClosed,
    help: 'Connections closed as slow consumers (4008)',
  }),
  makeCounterProvider({
    name: Metric.SlowConsumerCloseTimeouts,
    help: 'Slow consumers terminated because their close handshake did not complete within the close deadline',
  }),
  makeHistogramProvider({
    name: Metric.TimeToAcknowledge,
    help: "Seconds from an incident's creation to its acknowledgement (first move from Detected to a working state), by severity",
    labelNames: ['severity'],
    buckets: responseTimeBuckets,
  }),
  makeHistogramProvider({
    name: Metric.TimeToResolve,
    help: "Seconds from an incident's creation to its first resolution, by severity",
    labelNames: ['severity'],
    buckets: responseTimeBuckets,
  }),
  makeCounterProvider({
    name: Metric.EventLogPruned,
    help: 'Event log entries pruned, by reason (age: EVENT_LOG_RETENTION_DAYS, count: EVENT_LOG_MAX_EVENTS)',
    labelNames: ['reason'],
  }),
];
