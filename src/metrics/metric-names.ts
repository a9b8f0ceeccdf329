/** Every metric name, in one place. Section 5 of the contract lists the websocket_* ones. */
export const Metric = {
  WsActiveConnections: 'websocket_active_connections',
  WsTotalConnections: 'websocket_total_connections',
  WsActiveSubscriptions: 'websocket_active_subscriptions',
  WsMessagesSent: 'websocket_messages_sent_total',
  WsMessagesReceived: 'websocket_messages_received_total',
  WsEventsBroadcast: 'websocket_events_broadcast_total',
  WsEventsDelivered: 'websocket_events_delivered_total',
  WsConnectionErrors: 'websocket_connection_errors_total',
  WsSendErrors: 'websocket_send_errors_total',
  WsSessionDuration: 'websocket_session_duration_seconds',
  WsMessageLatency: 'websocket_message_latency_seconds',
  WsBroadcastChannelUsage: 'websocket_broadcast_channel_usage_ratio',

  HttpRequests: 'llm_incident_manager_http_requests_total',
  HttpRequestDuration: 'llm_incident_manager_http_request_duration_seconds',
  Incidents: 'llm_incident_manager_incidents',
  IncidentsCreated: 'llm_incident_manager_incidents_created_total',
  AlertsReceived: 'llm_incident_manager_alerts_received_total',
  IngestRateLimited: 'llm_incident_manager_ingest_rate_limited_total',
  Deduplications: 'llm_incident_manager_deduplications_total',
  AlertsSuppressed: 'llm_incident_manager_alerts_suppressed_total',
  Escalations: 'llm_incident_manager_escalations_total',
  Notifications: 'llm_incident_manager_notifications_total',
  PlaybookExecutions: 'llm_incident_manager_playbook_executions_total',
  NotificationQueueDepth: 'llm_incident_manager_notification_queue_depth',
  MessagesShed: 'llm_incident_manager_messages_shed_total',
  MessagesDropped: 'llm_incident_manager_messages_dropped_total',
  SlowConsumersClosed: 'llm_incident_manager_slow_consumers_closed_total',
  AuthFailures: 'llm_incident_manager_auth_failures_total',
  SlowConsumerCloseTimeouts: 'llm_incident_manager_slow_consumer_close_timeouts_total',
  EventLogPruned: 'llm_incident_manager_event_log_pruned_total',
  EventsReplayed: 'llm_incident_manager_events_replayed_total',
  BrokerUp: 'llm_incident_manager_broker_up',
  RemoteEventsDelivered: 'llm_incident_manager_remote_events_delivered_total',
  TimeToAcknowledge: 'llm_incident_manager_time_to_acknowledge_seconds',
  TimeToResolve: 'llm_incident_manager_time_to_resolve_seconds',
} as const;

/** Where an incident came from (the `origin` label of the incidents-created metric). */
export const IncidentOrigin = { Api: 'api', Alert: 'alert' } as const;

/** Why event log entries were pruned (the `reason` label of the event-log-pruned metric). */
export const PruneReason = { Age: 'age', Count: 'count' } as const;

/** How a playbook run ended (the `outcome` label of the playbook-executions metric). */
export const PlaybookOutcome = { Success: 'success', Failure: 'failure' } as const;
