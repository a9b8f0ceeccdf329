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
