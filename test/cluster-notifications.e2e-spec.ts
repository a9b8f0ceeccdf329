import { randomBytes } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import request from 'supertest';
import { incidentBody } from './support/fixtures';
import { ManualClock } from './support/manual-clock';
import { TEST_DATABASE_URL, describeIfPostgres, postgresDatabaseUrl } from './support/postgres';
import { ServerProcess, startServerProcess } from './support/server-process';
import { startTestApp, TestApp } from './support/test-app';

/** A receiver that holds the first request it gets (the killed node's attempt) and answers every later one 200. */
class StallingReceiver {
  readonly deliveryIds: string[] = [];
  private readonly server: Server;

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => {
        this.deliveryIds.push(String(req.headers['x-delivery-id']));
        if (this.deliveryIds.length === 1) return; // held: the node that sent it is killed meanwhile
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface LoggedEvents {
  events: { event: { event_type: string; success?: boolean } }[];
}

async function admin(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Contract section 11: each notification delivery happens once per cluster, and a node that dies mid-delivery has
 * it picked up by another. Node A is a real server process, killed with SIGKILL while its attempt is in flight; node
 * B (in this process, on a manual clock) takes the row over once A's lease has run out.
 */
describeIfPostgres('a killed node’s pending notification is delivered by another node', () => {
  const database = `llm_im_test_${randomBytes(6).toString('hex')}`;
  const clock = new ManualClock(Date.now());
  const receiver = new StallingReceiver();
  let nodeA: ServerProcess | undefined;
  let nodeB: TestApp | undefined;

  beforeAll(() => admin(`CREATE DATABASE ${database}`));

  afterAll(async () => {
    await nodeA?.stop('SIGKILL');
    await nodeB?.cleanup();
    await receiver.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it('delivers it from the other node, with the same x-delivery-id, once the dead node’s lease has run out', async () => {
    const url = await receiver.listen();
    const env = { DATABASE_URL: postgresDatabaseUrl(database), NOTIFICATION_TIMEOUT: '30' };
    // B first: it migrates the fresh database.
    nodeB = await startTestApp(env, undefined, { clock });
    await request(nodeB.baseUrl)
      .post('/v1/notification-channels')
      .send({ name: 'pager', type: 'webhook', url, events: ['incident_created'] })
      .expect(201);
    nodeA = await startServerProcess({ ...env, WEBHOOK_ALLOW_PRIVATE: 'true' });

    const created = await fetch(`${nodeA.baseUrl}/v1/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(incidentBody({ severity: 'P1' })),
    });
    expect(created.status).toBe(201);
    const incident = (await created.json()) as { id: string };
    // A's attempt reaches the receiver and is held; then A dies with the row leased to it.
    await clock.advanceUntil(() => receiver.deliveryIds.length === 1, 'node A’s attempt', {
      timeoutMs: 20_000,
    });
    expect(await nodeA.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    // B does not take the row while A's lease (timeout + 30 s) runs, then does.
    await clock.advance(10_000);
    expect(receiver.deliveryIds).toHaveLength(1);
    await clock.advanceUntil(() => receiver.deliveryIds.length === 2, 'node B’s attempt', {
      firstMs: 60_000,
      stepMs: 5_000,
      timeoutMs: 20_000,
    });
    expect(receiver.deliveryIds[1]).toBe(receiver.deliveryIds[0]);

    const b = nodeB;
    await clock.advanceUntil(
      async () => {
        const { events } = (await request(b.baseUrl).get(`/v1/incidents/${incident.id}/events`))
          .body as LoggedEvents;
        return events.some((e) => e.event.event_type === 'notification_sent' && e.event.success === true);
      },
      'notification_sent recorded by node B',
      { timeoutMs: 10_000 },
    );
    expect(receiver.deliveryIds).toHaveLength(2);
    // Bounded: a server process start through ts-node (no current build) takes up to 20 s on a busy machine.
  }, 90_000);
});
