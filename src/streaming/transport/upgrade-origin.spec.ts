import type { IncomingMessage } from 'node:http';
import { UpgradeOriginPolicy, isSameOrigin } from './upgrade-origin';

const upgrade = (headers: Record<string, string>): IncomingMessage =>
  ({ headers }) as unknown as IncomingMessage;

describe('isSameOrigin', () => {
  it.each([
    ['http://127.0.0.1:8080', '127.0.0.1:8080'],
    ['https://ops.example.com', 'ops.example.com'],
    ['https://ops.example.com', 'OPS.example.com:443'],
    ['http://ops.example.com', 'ops.example.com:80'],
    ['http://[::1]:8080', '[::1]:8080'],
  ])('%s is the origin of Host %s', (origin, host) => {
    expect(isSameOrigin(origin, host)).toBe(true);
  });

  it.each([
    ['http://127.0.0.1:8081', '127.0.0.1:8080'],
    ['https://ops.example.com', 'ops.example.com:8443'],
    ['https://ops.example.com.evil.net', 'ops.example.com'],
    ['null', 'ops.example.com'],
    ['ws://ops.example.com', 'ops.example.com'],
    ['https://ops.example.com', 'ops.example.com/x'],
    ['https://ops.example.com', 'x@ops.example.com'],
  ])('%s is not the origin of Host %s', (origin, host) => {
    expect(isSameOrigin(origin, host)).toBe(false);
  });

  it('is false without a Host header', () => {
    expect(isSameOrigin('http://127.0.0.1:8080', undefined)).toBe(false);
  });
});

describe('UpgradeOriginPolicy', () => {
  const policy = new UpgradeOriginPolicy(['https://ops.example.com']);

  it('lets an upgrade without Origin through (not a browser page)', () => {
    expect(policy.allows(upgrade({ host: 'api.example.com' }))).toBe(true);
  });

  it('lets the server’s own origin and the listed ones through, nothing else', () => {
    expect(policy.allows(upgrade({ host: 'api.example.com', origin: 'https://api.example.com' }))).toBe(true);
    expect(policy.allows(upgrade({ host: 'api.example.com', origin: 'https://ops.example.com' }))).toBe(true);
    expect(policy.allows(upgrade({ host: 'api.example.com', origin: 'https://evil.example.net' }))).toBe(
      false,
    );
  });
});
