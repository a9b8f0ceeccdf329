import request from 'supertest';
import { withoutNodeLabel } from './support/metrics-text';
import { ConnectionService } from '../src/streaming/connections/connection.service';
import { eventually } from './support/eventually';
import { WsTestClient, closeAll } from './support/ws-test-client';
import { TestApp, startTestApp } from './support/test-app';

const REFUSALS = 'websocket_connection_errors_total{reason="ip_connection_limit"}';

function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('WebSocket connections per client address (WS_MAX_CONNECTIONS_PER_IP)', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ WS_MAX_CONNECTIONS_PER_IP: '2', WS_MAX_CONNECTIONS: '10' });
  });

  afterEach(async () => {
    await closeAll(clients.splice(0));
  });

  afterAll(async () => {
    await t.cleanup();
  });

  const connections = (): ConnectionService => t.app.get(ConnectionService);

  it('refuses a connection beyond the limit from one address with closing, then 4029, and counts it', async () => {
    for (let i = 0; i < 2; i++) clients.push(await WsTestClient.connect(t.wsUrl));
    const refused = await WsTestClient.connect(t.wsUrl, { expectWelcome: false });
    clients.push(refused);
    expect(await refused.next()).toEqual({ type: 'closing', reason: 'connection limit per address reached' });
    expect((await refused.waitClosed()).code).toBe(4029);
    expect(connections().size).toBe(2);
    const metrics = withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text);
    expect(series(metrics, REFUSALS)).toBe(1);
  });

  it('still admits another address while one is at its limit', async () => {
    for (let i = 0; i < 2; i++) clients.push(await WsTestClient.connect(t.wsUrl));
    const other = await WsTestClient.connect(t.wsUrl, { localAddress: '127.0.0.2' });
    clients.push(other);
    expect(other.welcome.type).toBe('welcome');
    expect(connections().connectionsFrom('127.0.0.1')).toBe(2);
    expect(connections().connectionsFrom('127.0.0.2')).toBe(1);
  });

  it('gives a slot back when a connection closes, and counts the address down to 0', async () => {
    for (let i = 0; i < 2; i++) clients.push(await WsTestClient.connect(t.wsUrl));
    await clients[0].close();
    await eventually(() => connections().connectionsFrom('127.0.0.1') === 1, 3000, 'the count to go down');
    clients.push(await WsTestClient.connect(t.wsUrl));
    // A refused connection never counted.
    const refused = await WsTestClient.connect(t.wsUrl, { expectWelcome: false });
    clients.push(refused);
    expect((await refused.waitClosed()).code).toBe(4029);
    await closeAll(clients.splice(0));
    await eventually(() => connections().size === 0, 3000, 'every connection to be released');
    expect(connections().connectionsFrom('127.0.0.1')).toBe(0);
  });
});

describe('client addresses behind a load balancer (TRUST_PROXY)', () => {
  const clients: WsTestClient[] = [];
  const apps: TestApp[] = [];

  const start = async (env: Record<string, string>): Promise<TestApp> => {
    const app = await startTestApp({
      WS_MAX_CONNECTIONS_PER_IP: '1',
      HTTP_RATE_LIMIT_PER_SECOND: '1',
      ...env,
    });
    apps.push(app);
    return app;
  };
  const from = (app: TestApp, forwardedFor: string, expectWelcome = true): Promise<WsTestClient> =>
    WsTestClient.connect(app.wsUrl, { headers: { 'x-forwarded-for': forwardedFor }, expectWelcome });
  const statusFrom = async (app: TestApp, forwardedFor: string): Promise<number> =>
    (await request(app.baseUrl).get('/v1/incidents').set('x-forwarded-for', forwardedFor)).status;

  afterEach(async () => {
    await closeAll(clients.splice(0));
    for (const app of apps.splice(0)) await app.cleanup();
  });

  it('counts each forwarded client on its own when the peer is a trusted proxy', async () => {
    const t = await start({ TRUST_PROXY: '127.0.0.0/8' });
    clients.push(await from(t, '198.51.100.1'), await from(t, '198.51.100.2'));
    const second = await from(t, '198.51.100.1', false);
    clients.push(second);
    expect((await second.waitClosed()).code).toBe(4029);
    expect(t.app.get(ConnectionService).connectionsFrom('198.51.100.2')).toBe(1);
    // The HTTP rate limit too: one client's burst (2) does not starve the other.
    expect([await statusFrom(t, '203.0.113.1'), await statusFrom(t, '203.0.113.1')]).toEqual([200, 200]);
    expect(await statusFrom(t, '203.0.113.1')).toBe(429);
    expect(await statusFrom(t, '203.0.113.2')).toBe(200);
  });

  it('ignores X-Forwarded-For from a peer that is not trusted (the default): a client cannot pick its address', async () => {
    const t = await start({});
    clients.push(await from(t, '198.51.100.1'));
    const spoofed = await from(t, '198.51.100.2', false);
    clients.push(spoofed);
    expect((await spoofed.waitClosed()).code).toBe(4029);
    expect([await statusFrom(t, '203.0.113.1'), await statusFrom(t, '203.0.113.2')]).toEqual([200, 200]);
    expect(await statusFrom(t, '203.0.113.3')).toBe(429);
  });

  it('refuses a TRUST_PROXY that is not a list of addresses and ranges, at start', async () => {
    await expect(start({ TRUST_PROXY: '10.0.0.0/8, lb.internal' })).rejects.toThrow(/TRUST_PROXY/);
  });
});
