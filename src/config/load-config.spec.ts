import { hostname } from 'node:os';
import { ConfigValidationError, loadConfig } from './load-config';

describe('loadConfig', () => {
  it('uses the contract defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.http.port).toBe(8080);
    expect(config.streaming.path).toBe('/ws');
    expect(config.streaming.maxPendingMessages).toBe(1000);
    expect(config.streaming.heartbeatIntervalMs).toBe(30_000);
    expect(config.streaming.sessionTimeoutMs).toBe(300_000);
    expect(config.dedup.windowMs).toBe(900_000);
    expect(config.database.url).toBe('file:./data/incidents.db');
    expect(config.http.bodyLimitBytes).toBe(1_048_576);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.eventLog).toEqual({ retentionMs: 30 * 86_400_000, maxEvents: 10_000_000 });
  });

  it('names the node after the host unless NODE_NAME is set, and refuses a name that is no host-like name', () => {
    expect(loadConfig({}).nodeName).toBe(hostname());
    expect(loadConfig({ NODE_NAME: 'im-1.eu' }).nodeName).toBe('im-1.eu');
    expect(() => loadConfig({ NODE_NAME: 'two words' })).toThrow(/NODE_NAME/);
  });

  it('reads 0 as no limit for the event log retention and size', () => {
    expect(loadConfig({ EVENT_LOG_RETENTION_DAYS: '0', EVENT_LOG_MAX_EVENTS: '0' }).eventLog).toEqual({
      retentionMs: null,
      maxEvents: null,
    });
    expect(loadConfig({ EVENT_LOG_RETENTION_DAYS: '7', EVENT_LOG_MAX_EVENTS: '5000' }).eventLog).toEqual({
      retentionMs: 7 * 86_400_000,
      maxEvents: 5000,
    });
  });

  it.each(['127.0.0.1', '::', '::1', 'localhost', 'api.internal.example.com'])(
    'listens on HOST=%s',
    (host) => {
      expect(loadConfig({ HOST: host }).http.host).toBe(host);
    },
  );

  it('accepts fractional intervals and boolean spellings', () => {
    const config = loadConfig({ WS_HEARTBEAT_INTERVAL: '0.2', WS_ENABLE_COMPRESSION: 'true' });
    expect(config.streaming.heartbeatIntervalMs).toBe(200);
    expect(config.streaming.enableCompression).toBe(true);
  });

  it('has no bus without REDIS_URL and takes one with PostgreSQL', () => {
    expect(loadConfig({}).bus.redisUrl).toBeNull();
    expect(
      loadConfig({ DATABASE_URL: 'postgres://db/im', REDIS_URL: 'redis://cache:6379' }).bus.redisUrl,
    ).toBe('redis://cache:6379');
  });

  it('refuses REDIS_URL with SQLite, naming both variables', () => {
    const start = (): unknown => loadConfig({ REDIS_URL: 'redis://cache:6379' });
    expect(start).toThrow(ConfigValidationError);
    expect(start).toThrow(/REDIS_URL.*DATABASE_URL/);
  });

  it.each([
    ['REDIS_URL', 'cache:6379'],
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['WS_MAX_PENDING_MESSAGES', '0'],
    ['WS_ENABLE_COMPRESSION', 'maybe'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['HOST', 'not a host'],
    ['HOST', '0.0.0.0:8080'],
    ['DEDUP_WINDOW_SECS', '-1'],
    ['EVENT_LOG_RETENTION_DAYS', '1.5'],
    ['EVENT_LOG_RETENTION_DAYS', '-1'],
    ['EVENT_LOG_MAX_EVENTS', 'many'],
    ['EVENT_LOG_MAX_EVENTS', '-5'],
  ])('rejects %s=%s naming the variable', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigValidationError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(key));
  });

  it.each([
    ['PORT', 'eighty', 'PORT must be an integer'],
    ['PORT', '80.5', 'PORT must be an integer'],
    ['PORT', '70000', 'PORT must not be greater than 65535'],
    [
      'WS_HEARTBEAT_INTERVAL',
      'often',
      'WS_HEARTBEAT_INTERVAL must be a number conforming to the specified constraints',
    ],
  ])('gives one clear message for %s=%s', (key, value, message) => {
    expect(() => loadConfig({ [key]: value })).toThrow(
      new ConfigValidationError([`${key}=${JSON.stringify(value)}: ${message}`]),
    );
  });
});
