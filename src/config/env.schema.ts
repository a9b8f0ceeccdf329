import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  ValidationOptions,
  isFQDN,
  isIP,
  registerDecorator,
} from 'class-validator';
import { hostname } from 'node:os';
import { IsOriginList } from './origin-list';
import { IsProxyList } from './proxy-list';

const toNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(normalized)) return true;
  if (['false', '0', 'no', 'off'].includes(normalized)) return false;
  return value;
};

/** An address to listen on: an IP address (`0.0.0.0`, `::`, `127.0.0.1`) or a host name (`localhost`). */
function IsListenAddress(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isListenAddress',
      target: target.constructor,
      propertyName: String(propertyName),
      options: {
        message: `${String(propertyName)} must be an IP address (such as 0.0.0.0 or ::) or a host name (such as localhost)`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && (isIP(value) || isFQDN(value, { require_tld: false })),
      },
    });
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const AUTH_MODES = ['required', 'none'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * The environment as the server accepts it. Every variable has a default so that `npm start` needs nothing;
 * intervals are seconds and accept fractions so that tests can run them short.
 */
export class EnvironmentVariables {
  @Transform(toNumber)
  @IsInt({ message: 'PORT must be an integer' })
  @Min(0)
  @Max(65535)
  PORT = 8080;

  @IsListenAddress()
  HOST = '0.0.0.0';

  @IsString()
  @Matches(/^\/[A-Za-z0-9/_-]*$/, { message: 'WS_PATH must be an absolute URL path such as /ws' })
  WS_PATH = '/ws';

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  WS_MAX_PENDING_MESSAGES = 1000;

  @Transform(toNumber)
  @IsNumber()
  @Min(0.01)
  WS_HEARTBEAT_INTERVAL = 30;

  @Transform(toNumber)
  @IsNumber()
  @Min(0.01)
  WS_SESSION_TIMEOUT = 300;

  @Transform(toNumber)
  @IsNumber()
  @Min(0.01)
  WS_CLEANUP_INTERVAL = 60;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  WS_BROADCAST_CAPACITY = 10000;

  @Transform(toBoolean)
  @IsBoolean()
  WS_ENABLE_COMPRESSION = false;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  WS_MAX_CONNECTIONS = 10000;

  /** WebSocket connections per client address, so that one address cannot take every slot. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  WS_MAX_CONNECTIONS_PER_IP = 1000;

  /** Origins browser pages may open /ws from, besides the server's own; `*`: any. */
  @IsOriginList()
  WS_ALLOWED_ORIGINS = '';

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  WS_MAX_SUBSCRIPTIONS = 100;

  /** Most incidents in a `snapshot` (contract section 7); more set `truncated`. */
  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(100_000)
  WS_SNAPSHOT_LIMIT = 1000;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  WS_MAX_MESSAGES_PER_SECOND = 100;

  @Transform(toNumber)
  @IsInt()
  @Min(1024)
  WS_MAX_MESSAGE_BYTES = 262144;

  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  DEDUP_WINDOW_SECS = 900;

  @IsString()
  @Matches(/^(file:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'DATABASE_URL must be file:<path> (SQLite) or postgres://... (PostgreSQL)',
  })
  DATABASE_URL = 'file:./data/incidents.db';

  /**
   * redis://... or rediss://...: the cross-node event bus (several nodes on one PostgreSQL database); empty: a single
   * node. Refused with SQLite (checked in loadConfig, which sees both variables).
   */
  @ValidateIf((vars: EnvironmentVariables) => vars.REDIS_URL !== '')
  @Matches(/^rediss?:\/\/.+$/, { message: 'REDIS_URL must be redis://... or rediss://...' })
  REDIS_URL = '';

  /** Event log entries older than this many days are pruned in the background; 0 keeps them (no age limit). */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  @Max(36_500)
  EVENT_LOG_RETENTION_DAYS = 30;

  /** The event log keeps about this many latest entries, pruning older ones in the background; 0: no limit. */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  EVENT_LOG_MAX_EVENTS = 10_000_000;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** This node's name in logs (`node`) and metrics (the `node` label); several nodes need distinct names. */
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,252}$/, {
    message:
      'NODE_NAME must be 1 to 253 letters, digits, dots, underscores, colons or hyphens (such as a host name)',
  })
  NODE_NAME = hostname();

  @Transform(toNumber)
  @IsInt()
  @Min(1024)
  HTTP_BODY_LIMIT_BYTES = 1_048_576;

  @Transform(toNumber)
  @IsInt()
  @Min(0)
  HTTP_RATE_LIMIT_PER_SECOND = 5000;

  /** Alerts per second per credential on POST /v1/alerts and the Alertmanager webhook (bursts of twice that). */
  @Transform(toNumber)
  @IsInt()
  @Min(0)
  INGEST_RATE_LIMIT_PER_KEY = 1000;

  /** Origins browser pages may call the REST API from (CORS); empty: none but the server's own. */
  @IsOriginList()
  CORS_ORIGINS = '';

  /** Load balancers / proxies whose X-Forwarded-For is believed (addresses or CIDR ranges, comma-separated). */
  @IsProxyList()
  TRUST_PROXY = '';

  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  SHUTDOWN_GRACE_SECS = 10;

  @Transform(toNumber)
  @IsNumber()
  @Min(0.01)
  ESCALATION_CHECK_INTERVAL = 30;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  NOTIFICATION_QUEUE_SIZE = 1000;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(256)
  NOTIFICATION_CONCURRENCY = 4;

  @Transform(toNumber)
  @IsInt()
  @Min(1)
  @Max(20)
  NOTIFICATION_MAX_ATTEMPTS = 3;

  @Transform(toNumber)
  @IsNumber()
  @Min(0)
  NOTIFICATION_RETRY_BACKOFF = 1;

  @Transform(toNumber)
  @IsNumber()
  @Min(0.01)
  NOTIFICATION_TIMEOUT = 5;

  /** Lets outgoing requests (notifications, escalation and playbook webhooks) reach internal addresses. */
  @Transform(toBoolean)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE = false;

  /** Comma-separated host names or IP addresses that outgoing requests may reach even when they are internal. */
  @IsString()
  WEBHOOK_ALLOWED_HOSTS = '';

  /** `required`: every route but /health* and /docs* needs a credential; `none`: trusted network, all open. */
  @IsIn(AUTH_MODES)
  AUTH_MODE: AuthMode = 'required';

  /** HS256 secret for JWTs; at least 32 characters (256 bits), as RFC 7518 asks of an HS256 key. */
  @ValidateIf((vars: EnvironmentVariables) => vars.AUTH_JWT_SECRET !== '')
  @IsString()
  @MinLength(32, { message: 'AUTH_JWT_SECRET must be at least 32 characters long' })
  AUTH_JWT_SECRET = '';

  /** A JWKS JSON file with the public keys (RS256/ES256) JWTs are verified with; read at start. */
  @IsString()
  AUTH_JWKS_FILE = '';

  @IsString()
  AUTH_JWT_ISSUER = '';

  @IsString()
  AUTH_JWT_AUDIENCE = '';

  @IsString()
  @MinLength(1)
  ADMIN_KEY_FILE = './data/admin.key';

  @Transform(toBoolean)
  @IsBoolean()
  METRICS_PUBLIC = false;
}

export const ENV_KEYS = Object.keys(new EnvironmentVariables()) as (keyof EnvironmentVariables)[];
