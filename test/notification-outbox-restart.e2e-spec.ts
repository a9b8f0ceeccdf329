import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './support/eventually';
import { incidentBody } from './support/fixtures';
import { ServerProcess, startServerProcess } from './support/server-process';

interface Received {
  path: string;
  id: string;
  attempt: number;
  authorization: string | undefined;
  /** What it was answered; null while held (a stalled receiver). */
  status: number | null;
}

/** A webhook receiver on 127.0.0.1 whose answer the test changes as it goes: a status, or no answer at all. */
class ScriptedReceiver {
  readonly requests: Received[] = [];
  answer: (path: string) => number | 'stall' = () => 200;
  private readonly held = new Set<ServerResponse>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ScriptedReceiver> {
    const server = createServer();
    const receiver = new ScriptedReceiver(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => receiver.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** Delivery ids answered 2xx. */
  delivered(): Set<string> {
    return new Set(this.requests.filter((r) => r.status === 200).map((r) => r.id));
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '';
      const received: Received = {
        path,
        id: String(req.headers['x-delivery-id']),
        attempt: Number(req.headers['x-delivery-attempt']),
        authorization: req.headers.authorization,
        status: null,
      };
      this.requests.push(received);
      const answer = this.answer(path);
      if (answer === 'stall') {
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
        return;
      }
      received.status = answer;
      res.writeHead(answer, { 'content-type': 'application/json' }).end('{}');
    });
  }
}

interface OutboxRow {
  id: string;
  incident_id: string;
  channel_label: string;
  status: string;
  attempts: number;
}

/** The outbox as stored in the server's SQLite file (read-only; the server may be running). */
function readOutbox(dbPath: string): OutboxRow[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT id, incident_id, channel_label, status, attempts FROM notification_outbox')
      .all() as OutboxRow[];
  } finally {
    db.close();
  }
}

async function postJson(url: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`POST ${url}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string };
}

const INCIDENTS = 10;

/**
 * The real server as a process, on a SQLite file, notifying two channels: one whose receiver fails (500, so every
 * delivery waits for a retry) and one whose receiver never answers (two deliveries in flight, the share of one
 * destination with NOTIFICATION_CONCURRENCY=4, the rest pending). The process is killed (-9), restarted with the
 * receivers still failing, given more deliveries, stopped with SIGTERM, and restarted once more with the receivers
 * healed: every delivery arrives.
 */
describe('notification outbox across restarts of the real server process', () => {
  let dir: string;
  let dbPath: string;
  let receiver: ScriptedReceiver;
  let server: ServerProcess | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-outbox-restart-'));
    dbPath = join(dir, 'incidents.db');
    receiver = await ScriptedReceiver.start();
  });

  afterEach(async () => {
    await server?.stop('SIGKILL');
    server = undefined;
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({
    DATABASE_URL: `file:${dbPath}`,
    WEBHOOK_ALLOW_PRIVATE: 'true',
    NOTIFICATION_CONCURRENCY: '4',
    NOTIFICATION_MAX_ATTEMPTS: '20',
    NOTIFICATION_RETRY_BACKOFF: '0.2',
    // Longer than the test: a request to the stalled receiver stays in flight until the process stops.
    NOTIFICATION_TIMEOUT: '60',
  });

  const createIncidents = async (baseUrl: string): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < INCIDENTS; i += 1) {
      ids.push((await postJson(`${baseUrl}/v1/incidents`, incidentBody())).id);
    }
    return ids;
  };

  /** Every flaky delivery stored has failed twice, and two stalled ones are in flight since `since`. */
  const failedAndStalled = (rows: number, since: number) =>
    eventually(
      () => {
        const stored = readOutbox(dbPath);
        return (
          stored.length === rows &&
          stored.filter((r) => r.channel_label === 'flaky' && r.attempts >= 2).length === rows / 2 &&
          receiver.requests.slice(since).filter((r) => r.path === '/stalled').length === 2
        );
      },
      15_000,
      'failed and stalled deliveries',
    );

  /** For each stored row, the first request sent for it after `since` is the attempt after the last one stored. */
  const expectContinued = (stored: OutboxRow[], since: number, all: boolean) => {
    const sent = receiver.requests.slice(since);
    for (const row of stored) {
      const first = sent.find((r) => r.id === row.id);
      if (first === undefined && !all) continue;
      expect({ id: row.id, attempt: first?.attempt }).toEqual({ id: row.id, attempt: row.attempts + 1 });
    }
  };

  it('after kill -9 and after SIGTERM every pending delivery arrives, with its x-delivery-id and the attempt count continued', async () => {
    receiver.answer = (path) => (path === '/stalled' ? 'stall' : 500);
    server = await startServerProcess(env());
    await postJson(`${server.baseUrl}/v1/notification-channels`, {
      name: 'flaky',
      type: 'webhook',
      url: receiver.url('/flaky'),
    });
    await postJson(`${server.baseUrl}/v1/notification-channels`, {
      name: 'stalled',
      type: 'webhook',
      url: receiver.url('/stalled'),
      headers: { Authorization: 'Bearer s3cret' },
    });
    const incidents = await createIncidents(server.baseUrl);
    await failedAndStalled(2 * INCIDENTS, 0);

    expect(await server.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    const afterKill = readOutbox(dbPath);
    expect(afterKill).toHaveLength(2 * INCIDENTS);
    expect(afterKill.filter((r) => r.status !== 'pending' && r.status !== 'delivering')).toEqual([]);
    // The two stalled requests were in flight: their rows are still claimed by the dead process.
    expect(afterKill.filter((r) => r.status === 'delivering' && r.channel_label === 'stalled')).toHaveLength(
      2,
    );

    // Second run, receivers still failing, more deliveries; then a graceful stop.
    const secondRun = receiver.requests.length;
    server = await startServerProcess(env());
    incidents.push(...(await createIncidents(server.baseUrl)));
    await failedAndStalled(4 * INCIDENTS, secondRun);
    expect(await server.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
    // Every row the kill left that was tried again went on from its stored attempt count.
    expectContinued(afterKill, secondRun, false);
    const afterTerm = readOutbox(dbPath);
    expect(afterTerm).toHaveLength(4 * INCIDENTS);
    // A graceful stop puts the requests it cut back.
    expect(afterTerm.filter((r) => r.status !== 'pending')).toEqual([]);

    // Third run, receivers healed: everything arrives.
    const thirdRun = receiver.requests.length;
    receiver.answer = () => 200;
    server = await startServerProcess(env());
    const ids = new Set(afterTerm.map((r) => r.id));
    await eventually(() => receiver.delivered().size === ids.size, 20_000, 'every pending delivery');
    expect(receiver.delivered()).toEqual(ids);
    expectContinued(afterTerm, thirdRun, true);
    const sentLast = receiver.requests.slice(thirdRun);
    expect(sentLast.every((r) => r.status === 200)).toBe(true);
    // Each delivery once: nothing was delivered twice.
    expect(sentLast).toHaveLength(ids.size);
    expect(
      receiver.requests
        .filter((r) => r.path === '/stalled')
        .every((r) => r.authorization === 'Bearer s3cret'),
    ).toBe(true);

    // Each attempt is one notification_sent, across the three processes: 1, 2, ... n, the last one the success.
    await eventually(
      () => readOutbox(dbPath).every((r) => r.status === 'delivered'),
      5000,
      'every row delivered',
    );
    const finished = new Map(readOutbox(dbPath).map((r) => [`${r.incident_id}/${r.channel_label}`, r]));
    for (const incidentId of incidents) {
      const res = await fetch(`${server.baseUrl}/v1/incidents/${incidentId}/events`);
      const { events } = (await res.json()) as {
        events: { event: { event_type: string; channel?: string; attempt?: number; success?: boolean } }[];
      };
      for (const channel of ['flaky', 'stalled']) {
        const sent = events
          .map((entry) => entry.event)
          .filter((e) => e.event_type === 'notification_sent' && e.channel === channel);
        const attempts = finished.get(`${incidentId}/${channel}`)?.attempts ?? -1;
        expect(sent.map((e) => e.attempt)).toEqual(Array.from({ length: attempts }, (_, i) => i + 1));
        expect(sent.map((e) => e.success)).toEqual(
          Array.from({ length: attempts }, (_, i) => i === attempts - 1),
        );
      }
    }
    expect(await server.stop('SIGTERM')).toEqual({ code: null, signal: 'SIGTERM' });
    server = undefined;
    // Three starts of the server under ts-node: 20 s on an idle machine, 80 s measured under load.
  }, 240_000);
});
