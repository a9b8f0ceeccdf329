import { ConfigValidationError, loadConfig } from './load-config';

describe('auth configuration', () => {
  it('requires credentials by default, with no JWT configured and the admin key under ./data', () => {
    expect(loadConfig({}).auth).toEqual({
      mode: 'required',
      jwtSecret: null,
      jwksFile: null,
      jwtIssuer: null,
      jwtAudience: null,
      adminKeyFile: './data/admin.key',
      metricsPublic: false,
    });
  });

  it('reads every AUTH_ variable', () => {
    const auth = loadConfig({
      AUTH_MODE: 'none',
      AUTH_JWT_SECRET: 'x'.repeat(32),
      AUTH_JWKS_FILE: '/etc/llm-im/jwks.json',
      AUTH_JWT_ISSUER: 'https://idp.example.com',
      AUTH_JWT_AUDIENCE: 'llm-im',
      ADMIN_KEY_FILE: '/var/lib/llm-im/admin.key',
      METRICS_PUBLIC: 'true',
    }).auth;
    expect(auth).toEqual({
      mode: 'none',
      jwtSecret: 'x'.repeat(32),
      jwksFile: '/etc/llm-im/jwks.json',
      jwtIssuer: 'https://idp.example.com',
      jwtAudience: 'llm-im',
      adminKeyFile: '/var/lib/llm-im/admin.key',
      metricsPublic: true,
    });
  });

  it('refuses an AUTH_JWT_SECRET shorter than 32 characters and an unknown AUTH_MODE', () => {
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short' })).toThrow(
      new ConfigValidationError([
        'AUTH_JWT_SECRET="short": AUTH_JWT_SECRET must be at least 32 characters long',
      ]),
    );
    expect(() => loadConfig({ AUTH_MODE: 'optional' })).toThrow(/AUTH_MODE="optional"/);
  });
});
