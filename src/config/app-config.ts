import type { LogLevel } from './env.schema';

/** Typed configuration, one object per feature; built once from the environment in `loadConfig`. */
export interface HttpConfig {
  port: number;
  bodyLimitBytes: number;
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
  maxSubscriptions: number;
  maxMessagesPerSecond: number;
  maxMessageBytes: number;
}

export interface DedupConfig {
  windowMs: number;
}

export interface DatabaseConfig {
  url: string;
}

export interface AppConfig {
  http: HttpConfig;
  streaming: StreamingConfig;
  dedup: DedupConfig;
  database: DatabaseConfig;
  logLevel: LogLevel;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
