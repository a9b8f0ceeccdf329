// The client SDK of LLM Incident Manager, for Node and browsers: `IncidentClient` (live subscriptions that reconnect
// and resume by themselves, REST helpers) and the wire types it speaks, re-exported from the protocol package.
export * from '@llm-incident-manager/protocol';
export { IncidentClient, type IncidentClientOptions } from './incident-client';
export type { StreamSubscription, SubscribeOptions, SubscriptionHandlers } from './subscription';
export type { ConnectionStatus, StatusDetail, StatusListener } from './status';
export { ApiError, ConnectionError, StreamClosedError } from './errors';
export { Backoff, type BackoffOptions } from './backoff';
export { SequenceGate } from './sequence-gate';
export type { Timers } from './timers';
export type { WebSocketConstructor, WebSocketLike, NodeWebSocketOptions } from './websocket';
export type { FetchFunction } from './rest';
