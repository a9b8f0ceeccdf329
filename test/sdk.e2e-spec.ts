import {
  ApiError,
  EventType,
  IncidentClient,
  StreamClosedError,
  type ConnectionStatus,
  type EventMessage,
  type StatusDetail,
} from '@llm-incident-manager/client';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { type ServerProcess, startServerProcess } from './support/server-process';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * A TCP proxy on 127.0.0.1 in front of a server: the SDK keeps one address while the server behind it restarts on
 * another port, and `freeze` makes every open connection silent (a dead peer: nothing forwarded, nothing closed).
 */
class TcpProxy {
  private readonly server: Server;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private frozen = false;

  private constructor(private targetPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.targetPort, '127.0.0.1');
      const pair = { client, upstream };
      this.pairs.add(pair);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = (): void => {
        this.pairs.delete(pair);
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
      if (this.frozen) this.freezePair(pair);
    });
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  retarget(port: number): void {
    this.targetPort = port;
  }

  /** Stops forwarding on every connection, open or new, without closing any. */
  freeze(): void {
    this.frozen = true;
    for (const pair of this.pairs) this.freezePair(pair);
  }

  /** Forwards new connections again; the frozen ones are dropped. */
  thaw(): void {
    this.frozen = false;
    for (const pair of [...this.pairs]) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
  }

  async close(): Promise<void> {
    this.thaw();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private freezePair({ client, upstream }: { client: Socket; upstream: Socket }): void {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  }
}

const portOf = (baseUrl: string): number => Number(new URL(baseUrl).port);

function alert(title: string, severity: 'P0' | 'P1' | 'P2' | 'P3' | 'P4' = 'P1') {
  return {
    source: 'sdk-e2e',
    title,
    description: 'raised by the SDK e2e spec',
    severity,
    alert_type: 'Application' as const,
    labels: { env: 'prod' },
  };
}

/** Records a client's status changes. */
function recordStatuses(client: IncidentClient): [ConnectionStatus, StatusDetail | undefined][] {
  const statuses: [ConnectionStatus, StatusDetail | undefined][] = [];
  client.onStatus((status, detail) => statuses.push([status, detail]));
  return statuses;
}

describe('client SDK against the real server', () => {
  let t: TestApp & { dir: string };
  let client: IncidentClient;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterEach(async () => {
    await client?.close();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('delivers typed events matching the filters only', async () => {
    client = new IncidentClient({ url: t.baseUrl });
    const received: EventMessage[] = [];
    const titles: string[] = [];
    client.subscribe(
      { filters: { severities: ['P1'], event_types: [EventType.IncidentCreated, EventType.AlertReceived] } },
      {
        onEvent: (message) => {
          received.push(message);
          // The union narrows on event_type: incident_created carries the incident.
          if (message.event.event_type === EventType.IncidentCreated) {
            titles.push(message.event.incident.title);
          }
        },
      },
    );
    await client.connect();
    expect(client.status).toBe('live');

    await client.alerts.submit(alert('filtered out: P3', 'P3'));
    const ack = await client.alerts.submit(alert('kept: P1'));
    await eventually(() => received.length >= 2, 5000, 'the P1 alert and incident');

    expect(received.map((m) => m.event.event_type)).toEqual([
      EventType.AlertReceived,
      EventType.IncidentCreated,
    ]);
    expect(titles).toEqual(['kept: P1']);
    const created = received[1].event;
    expect(created.event_type === EventType.IncidentCreated && created.incident.id).toBe(ack.incident_id);
    expect(received[1].sequence).toBeGreaterThan(received[0].sequence);
  });

  it('starts a snapshot subscription with the active incidents, then their live events', async () => {
    const before = await new IncidentClient({ url: t.baseUrl }).alerts.submit(alert('in the snapshot', 'P0'));
    client = new IncidentClient({ url: t.baseUrl });
    const snapshots: { ids: string[]; position: number }[] = [];
    const live: EventMessage[] = [];
    client.subscribe(
      { snapshot: true, filters: { severities: ['P0'] } },
      {
        onSnapshot: (incidents, position) => snapshots.push({ ids: incidents.map((i) => i.id), position }),
        onEvent: (message) => live.push(message),
      },
    );
    await client.connect();
    await eventually(() => snapshots.length === 1, 5000, 'the snapshot');
    expect(snapshots[0].ids).toContain(before.incident_id);

    const after = await client.alerts.submit(alert('after the snapshot', 'P0'));
    await eventually(
      () => live.some((m) => m.event.event_type === EventType.IncidentCreated),
      5000,
      'the live incident',
    );
    expect(live.every((m) => m.sequence > snapshots[0].position)).toBe(true);
    const created = live.find((m) => m.event.event_type === EventType.IncidentCreated)!.event;
    expect(created.event_type === EventType.IncidentCreated && created.incident.id).toBe(after.incident_id);
  });

  it('offers typed REST helpers that throw ApiError with the status and code', async () => {
    client = new IncidentClient({ url: t.baseUrl });
    const ack = await client.alerts.submit(alert('REST helpers'));
    expect(ack.status).toBe('Accepted');
    const id = ack.incident_id!;

    const page = await client.incidents.list({ state: ['Detected'], page_size: 100 });
    expect(page.incidents.map((i) => i.id)).toContain(id);
    expect((await client.incidents.get(id)).title).toBe('REST helpers');
    expect((await client.incidents.acknowledge(id, { actor: 'alice' })).state).toBe('Triaged');
    const note = await client.incidents.comment(id, { author: 'alice', comment: 'looking' });
    expect(note.content).toBe('looking');
    const resolved = await client.incidents.resolve(id, { resolved_by: 'alice', notes: 'fixed' });
    expect(resolved.state).toBe('Resolved');
    expect(resolved.resolution?.resolution_method).toBe('Manual');
    expect((await client.incidents.close(id, { actor: 'alice' })).state).toBe('Closed');
    const events = await client.incidents.events(id);
    expect(events.events.map((e) => e.event_type)).toEqual([
      'alert_received',
      'alert_converted',
      'incident_created',
      'incident_updated',
      'comment_added',
      'incident_resolved',
      'incident_closed',
    ]);

    const conflict = await client.incidents.acknowledge(id).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ApiError);
    expect(conflict).toMatchObject({ status: 409, code: 'INVALID_STATE_TRANSITION' });
    const missing = await client.incidents
      .get('00000000-0000-4000-8000-000000000000')
      .catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('detects a dead connection from the silence and resumes without losing an event', async () => {
    const proxy = await TcpProxy.start(portOf(t.baseUrl));
    try {
      client = new IncidentClient({
        url: proxy.url,
        heartbeatTimeoutMs: 1000,
        pingIntervalMs: 200,
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      });
      const statuses = recordStatuses(client);
      const delivered: EventMessage[] = [];
      const sub = client.subscribe(
        { filters: { event_types: [EventType.IncidentCreated] } },
        { onEvent: (m) => delivered.push(m) },
      );
      await client.connect();
      await client.alerts.submit(alert('before the silence'));
      await eventually(() => delivered.length === 1, 5000, 'the first event');

      proxy.freeze();
      // Straight to the server: the proxy forwards nothing now.
      const direct = new IncidentClient({ url: t.baseUrl });
      const during = await direct.alerts.submit(alert('during the silence'));
      await eventually(
        () =>
          statuses.some(
            ([status, detail]) => status === 'reconnecting' && detail?.reason === 'heartbeat timeout',
          ),
        5000,
        'the heartbeat timeout',
      );
      proxy.thaw();
      await eventually(() => client.status === 'resumed', 5000, 'resumed');
      await eventually(() => delivered.length === 2, 5000, 'the missed event');

      const created = delivered[1].event;
      expect(created.event_type === EventType.IncidentCreated && created.incident.id).toBe(
        during.incident_id,
      );
      expect(new Set(delivered.map((m) => m.sequence)).size).toBe(delivered.length);
      expect(sub.lastSequence).toBe(delivered[1].sequence);
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});

describe('client SDK with authentication required', () => {
  let t: TestApp & { dir: string };
  let adminKey: string;
  const clients: IncidentClient[] = [];

  beforeAll(async () => {
    const keyDir = mkdtempSync(join(tmpdir(), 'llm-im-sdk-key-'));
    t = await startTestApp({ AUTH_MODE: 'required', ADMIN_KEY_FILE: join(keyDir, 'admin.key') });
    adminKey = readFileSync(join(keyDir, 'admin.key'), 'utf8').trim();
    rmSync(keyDir, { recursive: true, force: true });
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await t.cleanup();
  });

  const make = (options: Partial<ConstructorParameters<typeof IncidentClient>[0]>): IncidentClient => {
    const made = new IncidentClient({ url: t.baseUrl, ...options });
    clients.push(made);
    return made;
  };

  it('sends the token as a header (Node) or in the access_token query (browsers)', async () => {
    for (const tokenTransport of ['header', 'query'] as const) {
      const client = make({ token: adminKey, tokenTransport });
      const seen: EventMessage[] = [];
      client.subscribe(
        { filters: { event_types: [EventType.IncidentCreated] } },
        { onEvent: (m) => seen.push(m) },
      );
      await client.connect();
      await client.alerts.submit(alert(`authenticated by ${tokenTransport}`));
      await eventually(() => seen.length === 1, 5000, `an event over a ${tokenTransport} token`);
      await client.close();
    }
  });

  it('refuses a wrong token: connect() rejects with 4001 and the client does not retry; REST throws 401', async () => {
    const client = make({ token: 'not-a-key', retryInitialConnection: true });
    const statuses = recordStatuses(client);
    const error = (await client.connect().catch((e: unknown) => e)) as StreamClosedError;
    expect(error).toBeInstanceOf(StreamClosedError);
    expect(error.code).toBe(4001);
    expect(error.isAuthError).toBe(true);
    expect(statuses.map(([status]) => status)).toEqual(['connecting', 'closed']);
    expect(statuses[1][1]?.code).toBe(4001);

    const rest = await make({ token: 'not-a-key' })
      .incidents.list()
      .catch((e: unknown) => e);
    expect(rest).toBeInstanceOf(ApiError);
    expect(rest).toMatchObject({ status: 401, code: 'AUTHENTICATION_ERROR', isAuthError: true });
  });
});

describe('client SDK across a server restart', () => {
  let dir: string;
  let server: ServerProcess | undefined;
  let proxy: TcpProxy | undefined;
  let client: IncidentClient | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-sdk-restart-'));
  });

  afterEach(async () => {
    await client?.close();
    await server?.stop('SIGKILL');
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Every sequence of the log after `after`, read through REST. */
  async function storedSequences(baseUrl: string, after: number): Promise<number[]> {
    const reader = new IncidentClient({ url: baseUrl });
    const sequences: number[] = [];
    for (let cursor = after; ;) {
      const page = await reader.events.list({ after_sequence: cursor, limit: 1000 });
      if (page.events.length === 0) return sequences;
      sequences.push(...page.events.map((e) => e.sequence));
      cursor = page.events[page.events.length - 1].sequence;
    }
  }

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'delivers every event exactly once and in order when the server is stopped with %s mid-stream',
    async (signal) => {
      const env = { DATABASE_URL: `file:${join(dir, 'incidents.db')}`, WS_HEARTBEAT_INTERVAL: '1' };
      server = await startServerProcess(env);
      proxy = await TcpProxy.start(portOf(server.baseUrl));
      client = new IncidentClient({
        url: proxy.url,
        heartbeatTimeoutMs: 5000,
        reconnect: { initialDelayMs: 100, maxDelayMs: 500 },
      });
      const statuses = recordStatuses(client);
      const delivered: number[] = [];
      const sub = client.subscribe(
        {},
        {
          onEvent: (m) => delivered.push(m.sequence),
        },
      );
      await client.connect();

      // A stream of alerts, straight to the server; the kill lands in the middle of it.
      const submit = async (baseUrl: string, from: number, count: number): Promise<void> => {
        const rest = new IncidentClient({ url: baseUrl });
        for (let i = from; i < from + count; i++) {
          await rest.alerts.submit(alert(`restart ${signal} #${i}`, i % 2 === 0 ? 'P1' : 'P2'));
        }
      };
      await submit(server.baseUrl, 0, 40);
      const first = await eventually(() => delivered[0], 5000, 'the first event');
      const streaming = submit(server.baseUrl, 40, 1000).catch(() => undefined);
      await eventually(() => delivered.length >= 150, 10_000, 'events before the stop');
      await server.stop(signal);
      await streaming;
      await eventually(() => statuses.some(([s]) => s === 'reconnecting'), 5000, 'reconnecting');

      server = await startServerProcess(env);
      // Events the SDK can only get by resuming: the proxy still points at the dead port.
      await submit(server.baseUrl, 2000, 20);
      proxy.retarget(portOf(server.baseUrl));
      await eventually(() => client!.status === 'resumed', 20_000, 'resumed');

      const stored = await storedSequences(server.baseUrl, first - 1);
      await eventually(
        () => sub.lastSequence !== undefined && sub.lastSequence >= stored[stored.length - 1],
        10_000,
        'the SDK to catch up with the log',
      );
      expect(delivered).toEqual(stored);
      const order = statuses.map(([s]) => s);
      expect(order[0]).toBe('connecting');
      expect(order[1]).toBe('live');
      expect(order.indexOf('reconnecting')).toBeGreaterThan(1);
      expect(order.lastIndexOf('resumed')).toBeGreaterThan(order.indexOf('reconnecting'));
    },
    150_000,
  );
});
