import type { DomainEvent } from './events';
import type { SubscriptionFilterInput, SubscriptionFilters } from './filters';
import type { Incident } from './incident';

/** Client -> server message types (`type` tag). */
export const ClientMessageType = {
  Subscribe: 'subscribe',
  Unsubscribe: 'unsubscribe',
  Ping: 'ping',
  Ack: 'ack',
  /** A fresh token for the same subject, before the current one expires. */
  Auth: 'auth',
} as const;
export type ClientMessageType = (typeof ClientMessageType)[keyof typeof ClientMessageType];
export const CLIENT_MESSAGE_TYPES: readonly string[] = Object.values(ClientMessageType);

/** Server -> client message types (`type` tag). */
export const ServerMessageType = {
  Welcome: 'welcome',
  Subscribed: 'subscribed',
  Unsubscribed: 'unsubscribed',
  Pong: 'pong',
  Event: 'event',
  Error: 'error',
  Closing: 'closing',
  Gap: 'gap',
  AuthOk: 'auth_ok',
  ReplayComplete: 'replay_complete',
  Snapshot: 'snapshot',
} as const;
export type ServerMessageType = (typeof ServerMessageType)[keyof typeof ServerMessageType];

export const StreamErrorCode = {
  InvalidMessage: 'INVALID_MESSAGE',
  Unsupported: 'UNSUPPORTED',
  NotFound: 'NOT_FOUND',
  SubscriptionLimit: 'SUBSCRIPTION_LIMIT',
  RateLimited: 'RATE_LIMITED',
  Authentication: 'AUTHENTICATION_ERROR',
  Authorization: 'AUTHORIZATION_ERROR',
} as const;
export type StreamErrorCode = (typeof StreamErrorCode)[keyof typeof StreamErrorCode];

/** The contract's prefix for every INVALID_MESSAGE error. */
export const INVALID_MESSAGE_PREFIX = 'Failed to process message: ';

/** WebSocket close codes the server sends. */
export const CloseCode = {
  GoingAway: 1001,
  MessageTooBig: 1009,
  Unauthorized: 4001,
  Forbidden: 4003,
  SlowConsumer: 4008,
  SessionExpired: 4010,
  LimitExceeded: 4029,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

export interface WelcomeMessage {
  type: typeof ServerMessageType.Welcome;
  session_id: string;
  server_time: string;
}
export interface SubscribedMessage {
  type: typeof ServerMessageType.Subscribed;
  subscription_id: string;
  filters: SubscriptionFilters;
  /** The head of the event log when the subscription went live: its live events are the ones after it. */
  position: number;
  /** Only when `resume_from` was sent: whether the events after it are replayed (false: not all are stored). */
  resumed?: boolean;
  /** With `resumed: false`: the oldest stored sequence (null: the log is empty); the client should reload. */
  oldest_sequence?: number | null;
}
/** The end of a replay: `replayed` events were sent, up to `position`; the subscription's live events follow. */
export interface ReplayCompleteMessage {
  type: typeof ServerMessageType.ReplayComplete;
  subscription_id: string;
  replayed: number;
  position: number;
}
/**
 * The active incidents matching a subscription exactly as they are after event `position`, newest first; the
 * subscription's live events follow from `position + 1`. `truncated`: more matched than the snapshot limit.
 */
export interface SnapshotMessage {
  type: typeof ServerMessageType.Snapshot;
  subscription_id: string;
  position: number;
  incidents: Incident[];
  truncated: boolean;
}
export interface UnsubscribedMessage {
  type: typeof ServerMessageType.Unsubscribed;
  subscription_id: string;
}
export interface PongMessage {
  type: typeof ServerMessageType.Pong;
  timestamp: string;
}
export interface ErrorMessage {
  type: typeof ServerMessageType.Error;
  code: StreamErrorCode;
  message: string;
}
export interface ClosingMessage {
  type: typeof ServerMessageType.Closing;
  reason: string;
}
/**
 * Events this connection's queue shed since the last `gap` (contract section 7): the lowest and highest `sequence`
 * among them and how many they were (the range may include events that were delivered or never matched).
 */
export interface GapMessage {
  type: typeof ServerMessageType.Gap;
  from_sequence: number;
  to_sequence: number;
  dropped: number;
}

/** The answer to `auth`: the connection now lives until `expires_at` (null: no expiry). */
export interface AuthOkMessage {
  type: typeof ServerMessageType.AuthOk;
  expires_at: string | null;
}

/**
 * Every server message except `event`. (The server serializes `event` once per publish for all recipients rather
 * than building it per connection.)
 */
export type ControlMessage =
  | AuthOkMessage
  | WelcomeMessage
  | SubscribedMessage
  | UnsubscribedMessage
  | PongMessage
  | ErrorMessage
  | ClosingMessage
  | GapMessage
  | ReplayCompleteMessage
  | SnapshotMessage;

/** One event: `sequence` is its position in the event log (strictly increasing, the `resume_from` cursor). */
export interface EventMessage<E extends DomainEvent = DomainEvent> {
  type: typeof ServerMessageType.Event;
  message_id: string;
  event: E;
  timestamp: string;
  sequence: number;
}

/** Every message the server sends on `/ws` (and as Server-Sent Events on `GET /v1/stream`). */
export type ServerMessage = ControlMessage | EventMessage;

export interface SubscribeMessage {
  type: typeof ClientMessageType.Subscribe;
  /** The client's name for the subscription (1-128 characters); re-using one replaces that subscription. */
  subscription_id: string;
  filters: SubscriptionFilterInput;
  /** Replay the stored matching events after this `sequence` before going live. */
  resume_from?: number;
  /** Send the matching active incidents first (`snapshot`), then live events after its `position`. */
  snapshot?: boolean;
}
export interface UnsubscribeMessage {
  type: typeof ClientMessageType.Unsubscribe;
  subscription_id: string;
}
export interface PingMessage {
  type: typeof ClientMessageType.Ping;
  /** RFC 3339. */
  timestamp: string;
}
export interface AckMessage {
  type: typeof ClientMessageType.Ack;
  message_id: string;
}
/** A fresh credential for the same subject, before the current one expires. */
export interface AuthMessage {
  type: typeof ClientMessageType.Auth;
  token: string;
}

/** Every message a client may send on `/ws`. */
export type ClientMessage = SubscribeMessage | UnsubscribeMessage | PingMessage | AckMessage | AuthMessage;
