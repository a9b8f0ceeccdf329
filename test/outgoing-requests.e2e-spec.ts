import { createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { DomainEvent } from '../src/events/event.types';
import { EscalationPoliciesService } from '../src/escalation/escalation-policies.service';
import { NotificationChannelsService } from '../src/notifications/notification-channels.service';
import { DnsResolver, ResolvedAddress } from '../src/notifications/outgoing/dns-resolver';
import { PlaybooksService } from '../src/playbooks/playbooks.service';
import { EventCapture } from './support/event-capture';
import { eventually } from './support/eventually';
import { createIncident } from './support/fixtures';
import { HttpReceiver, refusingUrl } from './support/http-receiver';
import { startTestApp, TestApp } from './support/test-app';

/** Destinations inside the server's own network, as a user could write them. */
const HOSTILE_URLS = [
  'http://169.254.169.254/latest/meta-data/',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://metadata.google.internal./computeMetadata/v1/',
  'http://127.0.0.1:5432/',
  'http://0x7f000001/',
  'http://2130706433/',
  'http://127.1/',
  'http://0177.0.0.1/',
  'http://10.0.0.1/',
  'http://172.16.0.1/',
  'http://192.168.0.1/',
  'http://100.64.0.1/',
  'http://0.0.0.0:8080/',
  'http://[::]/',
  'http://[::1]/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[fe80::1]/',
  'http://localhost:8080/',
  'http://localhost./',
  'http://admin.localhost/',
  'https://user:pass@127.0.0.1/',
];

/** The three kinds of definition that send requests, each with `url` as its destination. */
const DEFINITIONS: [string, string, (url: string, headers?: Record<string, string>) => object][] = [
  [
    'notification channels',
    '/v1/notification-channels',
    (url, headers = {}) => ({ name: 'c', type: 'webhook', url, headers }),
  ],
  [
    'escalation webhook targets',
    '/v1/escalation-policies',
    (url, headers = {}) => ({
      name: 'p',
      levels: [{ level: 1, delay_minutes: 0, targets: [{ type: 'webhook', name: 'hook', url, headers }] }],
    }),
  ],
  [
    'playbook webhook steps',
    '/v1/playbooks',
    (url, headers = {}) => ({
      name: 'pb',
      steps: [{ name: 'call', action: { type: 'webhook', url, headers } }],
    }),
  ],
];

type Notified = Extract<DomainEvent, { event_type: 'notification_sent' }>;

describe('outgoing requests: internal destinations and secrets', () => {
  let t: TestApp;
  let events: EventCapture;
  /** The names the injected resolver knows; any other name does not resolve. */
  const hosts = new Map<string, ResolvedAddress[]>();
  const lookups: string[] = [];
  const receivers: HttpReceiver[] = [];
  const servers: Server[] = [];
  const sockets = new Set<Socket>();

  const receiver = async (): Promise<HttpReceiver> => {
    const r = await HttpReceiver.start();
    receivers.push(r);
    return r;
  };
  const portOf = (r: HttpReceiver): string => new URL(r.url()).port;
  const notified = (incidentId: string): Notified[] =>
    events.envelopes
      .map((e) => e.event)
      .filter((e): e is Notified => e.event_type === 'notification_sent' && e.incident_id === incidentId);
  const finishedRun = (incidentId: string) =>
    eventually(
      async () => {
        const { runs } = (
          await request(t.baseUrl).get(`/v1/incidents/${incidentId}/playbook-runs`).expect(200)
        ).body as { runs: { status: string; error: string | null; steps: { message: string }[] }[] };
        return (
          runs.length > 0 && runs.every((r) => r.status === 'succeeded' || r.status === 'failed') && runs[0]
        );
      },
      5000,
      'a finished playbook run',
    );
  /** A local TCP server that answers every connection with `answer` (nothing: closes at once). */
  const tcpServer = async (answer?: string): Promise<number> => {
    const server = createServer((socket: Socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      if (answer === undefined) socket.destroy();
      else socket.end(answer);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  beforeAll(async () => {
    t = await startTestApp({
      WEBHOOK_ALLOW_PRIVATE: 'false',
      WEBHOOK_ALLOWED_HOSTS: 'receiver.test, other.test',
      NOTIFICATION_MAX_ATTEMPTS: '3',
      NOTIFICATION_RETRY_BACKOFF: '0.01',
    });
    jest.spyOn(t.app.get(DnsResolver), 'resolve').mockImplementation((host: string) => {
      lookups.push(host);
      const addresses = hosts.get(host);
      if (addresses) return Promise.resolve(addresses);
      return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }));
    });
    events = new EventCapture(t.app);
  });

  afterEach(async () => {
    for (const [, path] of DEFINITIONS) {
      const { body } = await request(t.baseUrl).get(path).expect(200);
      const list = Object.values(body as Record<string, { id: string }[]>)[0];
      for (const d of list) await request(t.baseUrl).delete(`${path}/${d.id}`).expect(204);
    }
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    hosts.clear();
    lookups.length = 0;
    events.clear();
  });

  afterAll(async () => {
    events.stop();
    jest.restoreAllMocks();
    await t.cleanup();
  });

  describe.each(DEFINITIONS)('%s', (_kind, path, body) => {
    it.each(HOSTILE_URLS)('are refused (400) when they point at %s', async (url) => {
      const res = await request(t.baseUrl).post(path).send(body(url)).expect(400);
      expect(res.body.error).toMatchObject({
        code: 'VALIDATION_ERROR',
        message: expect.stringMatching(/url/),
      });
      const { id } = (
        await request(t.baseUrl).post(path).send(body('https://hooks.example.com/x')).expect(201)
      ).body as { id: string };
      const replaced = await request(t.baseUrl).put(`${path}/${id}`).send(body(url)).expect(400);
      expect(replaced.body.error.code).toBe('VALIDATION_ERROR');
      expect(lookups).toEqual([]); // decided without asking DNS
    });

    it('are accepted for a public name, and for an internal host named in WEBHOOK_ALLOWED_HOSTS', async () => {
      await request(t.baseUrl).post(path).send(body('https://hooks.example.com/x')).expect(201);
      const res = await request(t.baseUrl).get(path).expect(200);
      const [first] = Object.values(res.body as Record<string, { id: string }[]>)[0];
      await request(t.baseUrl).delete(`${path}/${first.id}`).expect(204);
      await request(t.baseUrl).post(path).send(body('http://receiver.test:9/hook')).expect(201);
    });

    it('requires the header secret again when the destination URL changes', async () => {
      const created = await request(t.baseUrl)
        .post(path)
        .send(body('https://hooks.example.com/x', { Authorization: 'Bearer s3cret' }))
        .expect(201);
      const id = created.body.id as string;
      const moved = await request(t.baseUrl)
        .put(`${path}/${id}`)
        .send(body('https://evil.example.com/x', { Authorization: '********' }))
        .expect(400);
      expect(moved.body.error).toMatchObject({
        code: 'VALIDATION_ERROR',
        message: expect.stringMatching(/headers\.Authorization: the destination URL changed/),
      });
      // Same URL: the masked value keeps the secret; a new destination with the secret sent again is fine.
      await request(t.baseUrl)
        .put(`${path}/${id}`)
        .send(body('https://hooks.example.com/x', { Authorization: '********' }))
        .expect(200);
      await request(t.baseUrl)
        .put(`${path}/${id}`)
        .send(body('https://evil.example.com/x', { Authorization: 'Bearer other' }))
        .expect(200);
    });

    it('masks credentials inside the URL and keeps them only while the rest of the URL is unchanged', async () => {
      const created = await request(t.baseUrl)
        .post(path)
        .send(body('https://user:pa55@hooks.example.com/x', { Authorization: 'Bearer s3cret' }))
        .expect(201);
      const id = created.body.id as string;
      const text = JSON.stringify((await request(t.baseUrl).get(`${path}/${id}`).expect(200)).body);
      expect(text).toContain('https://user:********@hooks.example.com/x');
      expect(text).not.toMatch(/pa55|s3cret/);
      expect(JSON.stringify(created.body)).not.toMatch(/pa55|s3cret/);
      expect(JSON.stringify((await request(t.baseUrl).get(path).expect(200)).body)).not.toMatch(
        /pa55|s3cret/,
      );

      // What GET returns can be sent back: the password and the header are kept.
      const fetched = (await request(t.baseUrl).get(`${path}/${id}`).expect(200)).body;
      await request(t.baseUrl).put(`${path}/${id}`).send(fetched).expect(200);
      expect(JSON.stringify(await storedDefinition(path, id))).toContain(
        'https://user:pa55@hooks.example.com/x',
      );

      const elsewhere = await request(t.baseUrl)
        .put(`${path}/${id}`)
        .send(body('https://user:********@evil.example.com/x'))
        .expect(400);
      expect(elsewhere.body.error.message).toMatch(/url: .* only while the rest of the URL is unchanged/);
      await request(t.baseUrl)
        .put(`${path}/${id}`)
        .send(body('https://user:n3w@evil.example.com/x'))
        .expect(200);
    });
  });

  const storedDefinition = (path: string, id: string): Promise<object> => {
    switch (path) {
      case '/v1/notification-channels':
        return t.app.get(NotificationChannelsService).get(id);
      case '/v1/escalation-policies':
        return t.app.get(EscalationPoliciesService).get(id);
      default:
        return t.app.get(PlaybooksService).get(id);
    }
  };

  it('refuses a notification whose host resolves to an internal address at send time, without retrying', async () => {
    const hook = await receiver();
    hosts.set('evil.example', [{ address: '127.0.0.1', family: 4 }]);
    await request(t.baseUrl)
      .post('/v1/notification-channels')
      .send({ name: 'rebound', type: 'webhook', url: `http://evil.example:${portOf(hook)}/hook` })
      .expect(201);
    const incident = await createIncident(t.baseUrl);
    await eventually(() => notified(incident.id).length === 1, 5000, 'notification_sent');
    expect(notified(incident.id)[0]).toMatchObject({
      channel: 'rebound',
      success: false,
      attempt: 1,
      status_code: null,
      error: 'blocked_destination',
    });
    // A sentinel delivery that goes through proves the refused one was not retried meanwhile.
    await request(t.baseUrl)
      .post('/v1/notification-channels')
      .send({ name: 'sentinel', type: 'webhook', url: `http://receiver.test:${portOf(hook)}/ok` })
      .expect(201);
    hosts.set('receiver.test', [{ address: '127.0.0.1', family: 4 }]);
    const second = await createIncident(t.baseUrl);
    await eventually(() => notified(second.id).length === 2, 5000, 'both notifications');
    expect(hook.requests.map((r) => r.path)).toEqual(['/ok']);
    expect(notified(incident.id)).toHaveLength(1);
  });

  it('refuses a host that resolves to a public and an internal address', async () => {
    hosts.set('mixed.example', [
      { address: '93.184.216.34', family: 4 },
      { address: '::1', family: 6 },
    ]);
    await request(t.baseUrl)
      .post('/v1/playbooks')
      .send({
        name: 'mixed',
        steps: [{ name: 'call', action: { type: 'webhook', url: 'http://mixed.example/x' } }],
      })
      .expect(201);
    const incident = await createIncident(t.baseUrl);
    const run = await finishedRun(incident.id);
    expect(run).toMatchObject({ status: 'failed' });
    expect(run.steps[0].message).toBe('POST http://mixed.example/x: blocked_destination');
  });

  it('fails an escalation webhook whose host resolves to an internal address', async () => {
    hosts.set('evil.example', [{ address: '10.1.2.3', family: 4 }]);
    await request(t.baseUrl)
      .post('/v1/escalation-policies')
      .send({
        name: 'now',
        levels: [
          {
            level: 1,
            delay_minutes: 0,
            targets: [{ type: 'webhook', name: 'pager', url: 'http://evil.example/p' }],
          },
        ],
      })
      .expect(201);
    const incident = await createIncident(t.baseUrl);
    await eventually(() => notified(incident.id).length === 1, 5000, 'notification_sent of the escalation');
    expect(notified(incident.id)[0]).toMatchObject({
      channel: 'escalation:pager',
      success: false,
      error: 'blocked_destination',
    });
  });

  it('connects to the vetted address of an allowed host, keeping its name in the Host header', async () => {
    const hook = await receiver();
    hosts.set('receiver.test', [{ address: '127.0.0.1', family: 4 }]);
    await request(t.baseUrl)
      .post('/v1/playbooks')
      .send({
        name: 'allowed',
        steps: [
          { name: 'call', action: { type: 'webhook', url: `http://receiver.test:${portOf(hook)}/in` } },
        ],
      })
      .expect(201);
    const incident = await createIncident(t.baseUrl);
    const run = await finishedRun(incident.id);
    expect(run).toMatchObject({ status: 'succeeded' });
    expect(hook.requests).toHaveLength(1);
    expect(hook.requests[0].headers.host).toBe(`receiver.test:${portOf(hook)}`);
    expect(lookups).toEqual(['receiver.test']); // resolved once, by the guard; the connection did not ask again
  });

  it.each([
    ['refuses connections', async () => new URL(await refusingUrl()).port],
    ['closes the connection at once', () => tcpServer()],
    ['does not speak HTTP', () => tcpServer('SSH-2.0-OpenSSH_9.6\r\n')],
    ['answers garbage after the status line', () => tcpServer('HTTP/1.1 200 OK\r\nbroken header\r\n\r\n')],
  ])('tells the same "connection failed" when the port %s', async (_what, port) => {
    hosts.set('receiver.test', [{ address: '127.0.0.1', family: 4 }]);
    const url = `http://receiver.test:${await port()}/x`;
    await request(t.baseUrl)
      .post('/v1/playbooks')
      .send({ name: 'scan', steps: [{ name: 'probe', action: { type: 'webhook', url } }] })
      .expect(201);
    const incident = await createIncident(t.baseUrl);
    const run = await finishedRun(incident.id);
    expect(run.steps[0].message).toBe(`POST ${url}: connection failed`);
    expect(run.error).toBe(`step "probe" failed: POST ${url}: connection failed`);
  });

  it('tells "connection failed" for a name that does not resolve', async () => {
    await request(t.baseUrl)
      .post('/v1/playbooks')
      .send({
        name: 'nx',
        steps: [{ name: 'probe', action: { type: 'webhook', url: 'http://nx.example/x' } }],
      })
      .expect(201);
    const incident = await createIncident(t.baseUrl);
    expect((await finishedRun(incident.id)).steps[0].message).toBe(
      'POST http://nx.example/x: connection failed',
    );
  });

  it('never shows URL credentials in step results', async () => {
    await request(t.baseUrl)
      .post('/v1/playbooks')
      .send({
        name: 'creds',
        steps: [{ name: 'probe', action: { type: 'webhook', url: 'http://user:pa55@nx.example/x' } }],
      })
      .expect(201);
    const incident = await createIncident(t.baseUrl);
    const run = await finishedRun(incident.id);
    expect(JSON.stringify(run)).not.toContain('pa55');
    expect(run.steps[0].message).toBe('POST http://user:********@nx.example/x: connection failed');
  });
});
