import { ConfigValidationError, loadConfig } from './load-config';

describe('browser origins and per-address connections in the configuration', () => {
  it('defaults to no extra origins and 1000 WebSocket connections per address', () => {
    const config = loadConfig({});
    expect(config.streaming.allowedOrigins).toEqual([]);
    expect(config.http.corsOrigins).toEqual([]);
    expect(config.streaming.maxConnectionsPerIp).toBe(1000);
  });

  it('normalizes origins as browsers send them: lower case, default port dropped, trailing slash removed', () => {
    const config = loadConfig({
      WS_ALLOWED_ORIGINS: ' https://Ops.Example.com:443/ , http://localhost:3000,*',
      CORS_ORIGINS: 'http://LOCALHOST:80',
      WS_MAX_CONNECTIONS_PER_IP: '5',
    });
    expect(config.streaming.allowedOrigins).toEqual([
      'https://ops.example.com',
      'http://localhost:3000',
      '*',
    ]);
    expect(config.http.corsOrigins).toEqual(['http://localhost']);
    expect(config.streaming.maxConnectionsPerIp).toBe(5);
  });

  it.each([
    ['WS_ALLOWED_ORIGINS', 'ops.example.com'],
    ['WS_ALLOWED_ORIGINS', 'ftp://ops.example.com'],
    ['WS_ALLOWED_ORIGINS', 'https://ops.example.com/app'],
    ['CORS_ORIGINS', 'null'],
    ['CORS_ORIGINS', 'https://user@ops.example.com'],
    ['WS_MAX_CONNECTIONS_PER_IP', '0'],
    ['WS_MAX_CONNECTIONS_PER_IP', 'many'],
  ])('rejects %s=%s naming the variable', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(ConfigValidationError);
    expect(() => loadConfig({ [key]: value })).toThrow(new RegExp(key));
  });
});
