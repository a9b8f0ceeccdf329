import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { relevantConstraintMessages } from '../common/validation';
import { AppConfig } from './app-config';
import { ENV_KEYS, EnvironmentVariables } from './env.schema';
import { parseOriginList } from './origin-list';
import { parseProxyList } from './proxy-list';

const DAY_MS = 24 * 60 * 60 * 1000;

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

/**
 * Validates the environment (only the variables we own) and builds the typed configuration.
 * Throws ConfigValidationError naming every invalid variable, with one message each: a value of the wrong type is
 * told so (`PORT="eighty": PORT must be an integer`), not also every range it misses.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const raw: Record<string, string> = {};
  for (const key of ENV_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const vars = plainToInstance(EnvironmentVariables, raw);
  const errors = validateSync(vars, { whitelist: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new ConfigValidationError(
      errors.map(
        (e) =>
          `${e.property}=${JSON.stringify(raw[e.property])}: ${relevantConstraintMessages(e.constraints).join(', ')}`,
      ),
    );
  }
  // Several nodes share one database: a SQLite file cannot be shared, so a bus between nodes on it makes no sense.
  if (vars.REDIS_URL !== '' && !/^postgres(ql)?:\/\//.test(vars.DATABASE_URL)) {
    throw new ConfigValidationError([
      'REDIS_URL is set but DATABASE_URL is SQLite: several nodes need PostgreSQL (DATABASE_URL=postgres://...); unset REDIS_URL for a single node',
    ]);
  }
  const seconds = (s: number): number => Math.round(s * 1000);
  return {
    http: {
      host: vars.HOST,
      port: vars.PORT,
      bodyLimitBytes: vars.HTTP_BODY_LIMIT_BYTES,
      rateLimitPerSecond: vars.HTTP_RATE_LIMIT_PER_SECOND,
      ingestRateLimitPerKey: vars.INGEST_RATE_LIMIT_PER_KEY,
      corsOrigins: parseOriginList(vars.CORS_ORIGINS),
      trustedProxies: parseProxyList(vars.TRUST_PROXY),
      shutdownGraceMs: seconds(vars.SHUTDOWN_GRACE_SECS),
    },
    streaming: {
      path: vars.WS_PATH,
      maxPendingMessages: vars.WS_MAX_PENDING_MESSAGES,
      heartbeatIntervalMs: seconds(vars.WS_HEARTBEAT_INTERVAL),
      sessionTimeoutMs: seconds(vars.WS_SESSION_TIMEOUT),
      cleanupIntervalMs: seconds(vars.WS_CLEANUP_INTERVAL),
      broadcastCapacity: vars.WS_BROADCAST_CAPACITY,
      enableCompression: vars.WS_ENABLE_COMPRESSION,
      maxConnections: vars.WS_MAX_CONNECTIONS,
      maxConnectionsPerIp: vars.WS_MAX_CONNECTIONS_PER_IP,
      allowedOrigins: parseOriginList(vars.WS_ALLOWED_ORIGINS),
      maxSubscriptions: vars.WS_MAX_SUBSCRIPTIONS,
      snapshotLimit: vars.WS_SNAPSHOT_LIMIT,
      maxMessagesPerSecond: vars.WS_MAX_MESSAGES_PER_SECOND,
      maxMessageBytes: vars.WS_MAX_MESSAGE_BYTES,
    },
    dedup: { windowMs: seconds(vars.DEDUP_WINDOW_SECS) },
    database: { url: vars.DATABASE_URL },
    bus: { redisUrl: vars.REDIS_URL || null },
    eventLog: {
      retentionMs: vars.EVENT_LOG_RETENTION_DAYS > 0 ? vars.EVENT_LOG_RETENTION_DAYS * DAY_MS : null,
      maxEvents: vars.EVENT_LOG_MAX_EVENTS > 0 ? vars.EVENT_LOG_MAX_EVENTS : null,
    },
    escalation: { checkIntervalMs: seconds(vars.ESCALATION_CHECK_INTERVAL) },
    notifications: {
      queueSize: vars.NOTIFICATION_QUEUE_SIZE,
      concurrency: vars.NOTIFICATION_CONCURRENCY,
      maxAttempts: vars.NOTIFICATION_MAX_ATTEMPTS,
      retryBackoffMs: seconds(vars.NOTIFICATION_RETRY_BACKOFF),
      timeoutMs: seconds(vars.NOTIFICATION_TIMEOUT),
    },
    outgoing: {
      allowPrivate: vars.WEBHOOK_ALLOW_PRIVATE,
      allowedHosts: parseHostList(vars.WEBHOOK_ALLOWED_HOSTS),
    },
    auth: {
      mode: vars.AUTH_MODE,
      jwtSecret: vars.AUTH_JWT_SECRET || null,
      jwksFile: vars.AUTH_JWKS_FILE || null,
      jwtIssuer: vars.AUTH_JWT_ISSUER || null,
      jwtAudience: vars.AUTH_JWT_AUDIENCE || null,
      adminKeyFile: vars.ADMIN_KEY_FILE,
      metricsPublic: vars.METRICS_PUBLIC,
    },
    logLevel: vars.LOG_LEVEL,
    nodeName: vars.NODE_NAME,
  };
}

/** `a.example.com, 10.0.0.5,[fd00::1]` -> names lower-cased, IPv6 brackets removed, empty entries dropped. */
function parseHostList(value: string): string[] {
  return value
    .split(',')
    .map((host) =>
      host
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1'),
    )
    .filter((host) => host !== '');
}
