import type { AuthMode, LogLevel } from './env.schema';

/** Typed configuration, one object per feature; built once from the environment in `loadConfig`. */
export interface HttpConfig {
  /** Listen address (`0.0.0.0`: every IPv4 interface). */
  host: string;
  port: number;
  bodyLimitBytes: number;
  /** Requests per second per client on /v1 (bursts up to twice that); 0 disables the limit. */
  rateLimitPerSecond: number;
  /**
   * Alerts per second per credential on the ingestion routes (bursts up to twice that); 0 disables the limit.
   * Not applied with AUTH_MODE=none, where there is no credential (the per-address limit above still is).
   */
  ingestRateLimitPerKey: number;
  /**
   * Proxies (addresses and address/prefix ranges) whose X-Forwarded-For names the client, for the limits per client
   * address; empty: the TCP peer is the client (see ClientAddresses).
   */
  trustedProxies: string[];
  /** Origins (normalized, or `*`) whose pages get CORS headers; empty: no CORS headers at all. */
  corsOrigins: string[];
  shutdownGraceMs: number;
}

export interface StreamingConfig {
  path: string;
  maxPendingMessages: number;
  heartbeatIntervalMs: number;
  sessionTimeoutMs: number;
  cleanupIntervalMs: number;
  broadcastCapacity: number;
  enableCompression: boolean;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Origins (normalized, or `*`) a browser may open a WebSocket from besides the server's own. */
  allowedOrigins: string[];
  maxSubscriptions: number;
  /** Most incidents in a subscription's snapshot. */
  snapshotLimit: number;
  maxMessagesPerSecond: number;
  maxMessageBytes: number;
}

export interface DedupConfig {
  windowMs: number;
}

export interface DatabaseConfig {
  url: string;
}

/** The cross-node event bus (contract section 11); null: a single node. */
export interface BusConfig {
  redisUrl: string | null;
}

/** Retention of the event log (contract section 7); null: no such limit. */
export interface EventLogConfig {
  /** Entries older than this are pruned (the newest entry is always kept). */
  retentionMs: number | null;
  /** Entries whose sequence is this far or more below the newest are pruned. */
  maxEvents: number | null;
}

export interface EscalationConfig {
  /** Safety-net sweep of due escalations; the exact timer is armed from the stored schedule. */
  checkIntervalMs: number;
}

export interface NotificationConfig {
  queueSize: number;
  concurrency: number;
  maxAttempts: number;
  /** First retry delay; each further retry doubles it. */
  retryBackoffMs: number;
  timeoutMs: number;
}

/** Identity and access (contract section 6). Unset optional variables are null. */
export interface AuthConfig {
  mode: AuthMode;
  /** HS256 JWTs are accepted when set. */
  jwtSecret: string | null;
  /** Path of a JWKS file: RS256/ES256 JWTs are accepted when set. */
  jwksFile: string | null;
  /** Required `iss` of JWTs when set. */
  jwtIssuer: string | null;
  /** Required `aud` of JWTs when set. */
  jwtAudience: string | null;
  /** Where the bootstrap admin key is written (mode 0600). */
  adminKeyFile: string;
  /** `/metrics` without a credential. */
  metricsPublic: boolean;
}

/** Where outgoing requests (notification channels, escalation and playbook webhooks) may go. */
export interface OutgoingConfig {
  /** When true, internal (loopback, private, link-local...) destinations are allowed. */
  allowPrivate: boolean;
  /** Hosts allowed even when internal: lower-case names, or IP addresses without brackets. */
  allowedHosts: string[];
}

export interface AppConfig {
  http: HttpConfig;
  streaming: StreamingConfig;
  dedup: DedupConfig;
  database: DatabaseConfig;
  bus: BusConfig;
  eventLog: EventLogConfig;
  escalation: EscalationConfig;
  notifications: NotificationConfig;
  outgoing: OutgoingConfig;
  auth: AuthConfig;
  logLevel: LogLevel;
  /** NODE_NAME (default: the host name): a field of every log line and the `node` label of every metric. */
  nodeName: string;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
