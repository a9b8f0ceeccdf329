import request from 'supertest';
import { withoutNodeLabel } from './support/metrics-text';
import { WsTestClient, closeAll } from './support/ws-test-client';
import { TestApp, startTestApp } from './support/test-app';

/** The value of one series in a Prometheus text exposition, or undefined when it is absent. */
function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const ORIGIN_REFUSALS = 'websocket_connection_errors_total{reason="origin_not_allowed"}';
const OPS = 'https://ops.example.com';
const EVIL = 'https://evil.example.net';

/** Connects with `Origin: origin`; resolves with `welcome` or rejects with the HTTP status of a refused upgrade. */
async function connectFrom(t: TestApp, origin: string | undefined, clients: WsTestClient[]): Promise<string> {
  const client = await WsTestClient.connect(
    t.wsUrl,
    origin === undefined ? {} : { headers: { Origin: origin } },
  );
  clients.push(client);
  return client.welcome.type as string;
}

describe('WebSocket upgrades from browser pages (WS_ALLOWED_ORIGINS)', () => {
  const clients: WsTestClient[] = [];

  afterEach(async () => {
    await closeAll(clients.splice(0));
  });

  describe('by default: the server’s own origin only', () => {
    let t: TestApp;
    let own: string;

    beforeAll(async () => {
      t = await startTestApp();
      own = t.baseUrl;
    });

    afterAll(async () => {
      await t.cleanup();
    });

    it('accepts a client without Origin (not a browser)', async () => {
      await expect(connectFrom(t, undefined, clients)).resolves.toBe('welcome');
    });

    it('accepts a page of the same host and port, over http or (behind a TLS proxy) https', async () => {
      await expect(connectFrom(t, own, clients)).resolves.toBe('welcome');
      await expect(connectFrom(t, own.replace('http:', 'https:'), clients)).resolves.toBe('welcome');
    });

    it('refuses a page of another origin with HTTP 403 before the handshake, and counts it', async () => {
      const before = series(
        withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text),
        ORIGIN_REFUSALS,
      );
      expect(before).toBe(0);
      await expect(connectFrom(t, EVIL, clients)).rejects.toThrow('HTTP 403');
      await expect(connectFrom(t, own.replace(/:\d+$/, ':1'), clients)).rejects.toThrow('HTTP 403');
      await expect(connectFrom(t, 'null', clients)).rejects.toThrow('HTTP 403');
      const after = series(
        withoutNodeLabel((await request(t.baseUrl).get('/metrics').expect(200)).text),
        ORIGIN_REFUSALS,
      );
      expect(after).toBe(3);
    });
  });

  describe('with a list', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ WS_ALLOWED_ORIGINS: `${OPS}, http://localhost:3000` });
    });

    afterAll(async () => {
      await t.cleanup();
    });

    it('accepts the listed origins and still the server’s own', async () => {
      await expect(connectFrom(t, OPS, clients)).resolves.toBe('welcome');
      await expect(connectFrom(t, 'http://localhost:3000', clients)).resolves.toBe('welcome');
      await expect(connectFrom(t, t.baseUrl, clients)).resolves.toBe('welcome');
    });

    it('refuses an origin that differs in scheme or port from a listed one', async () => {
      await expect(connectFrom(t, 'http://ops.example.com', clients)).rejects.toThrow('HTTP 403');
      await expect(connectFrom(t, 'http://localhost:3001', clients)).rejects.toThrow('HTTP 403');
    });
  });

  describe('with *', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ WS_ALLOWED_ORIGINS: '*' });
    });

    afterAll(async () => {
      await t.cleanup();
    });

    it('accepts any origin', async () => {
      await expect(connectFrom(t, EVIL, clients)).resolves.toBe('welcome');
      await expect(connectFrom(t, 'null', clients)).resolves.toBe('welcome');
    });
  });
});

describe('CORS for the REST API (CORS_ORIGINS)', () => {
  const preflight = (t: TestApp, origin: string): request.Test =>
    request(t.baseUrl)
      .options('/v1/incidents')
      .set('Origin', origin)
      .set('Access-Control-Request-Method', 'PATCH')
      .set('Access-Control-Request-Headers', 'authorization,content-type');

  const corsHeaders = (headers: Record<string, string>): string[] =>
    Object.keys(headers).filter((name) => name.startsWith('access-control-'));

  describe('by default', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp();
    });

    afterAll(async () => {
      await t.cleanup();
    });

    it('sends no CORS headers, on a request or on a preflight', async () => {
      const res = await request(t.baseUrl).get('/v1/incidents').set('Origin', OPS).expect(200);
      expect(corsHeaders(res.headers)).toEqual([]);
      const pre = await preflight(t, OPS);
      expect(corsHeaders(pre.headers)).toEqual([]);
      expect(pre.status).toBe(404);
    });
  });

  describe('with a list', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ CORS_ORIGINS: OPS });
    });

    afterAll(async () => {
      await t.cleanup();
    });

    it('answers a preflight from a listed origin with the methods and headers the API takes', async () => {
      const res = await preflight(t, OPS).expect(204);
      expect(res.headers['access-control-allow-origin']).toBe(OPS);
      expect(res.headers['access-control-allow-methods']).toBe('GET, POST, PUT, PATCH, DELETE');
      expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type');
      expect(res.headers.vary).toMatch(/Origin/);
    });

    it('lets a listed origin read the answer', async () => {
      const res = await request(t.baseUrl).get('/v1/incidents').set('Origin', OPS).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(OPS);
    });

    it('gives another origin no CORS headers: its preflight is refused and its answers are unreadable', async () => {
      const pre = await preflight(t, EVIL);
      expect(pre.status).toBe(404);
      expect(corsHeaders(pre.headers)).toEqual([]);
      const res = await request(t.baseUrl).get('/v1/incidents').set('Origin', EVIL).expect(200);
      expect(corsHeaders(res.headers)).toEqual([]);
    });
  });
});
