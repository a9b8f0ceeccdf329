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
  });

  it('accepts fractional intervals and boolean spellings', () => {
    const config = loadConfig({ WS_HEARTBEAT_INTERVAL: '0.2', WS_ENABLE_COMPRESSION: 'true' });
    expect(config.streaming.heartbeatIntervalMs).toBe(200);
    expect(config.streaming.enableCompression).toBe(true);
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['WS_MAX_PENDING_MESSAGES', '0'],
    ['WS_ENABLE_COMPRESSION', 'maybe'],
    ['DATABASE_URL', 'mysql://x'],
    ['LOG_LEVEL', 'loud'],
    ['DEDUP_WINDOW_SECS', '-1'],
  ])('rejects %s=%s naming the variable', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigValidationError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(key));
  });
});
