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
 * destination with NOTIFICATION_CONCURRENCY=4, and the rest pending). The process is stopped, the receivers heal,
 * and a new process on the same file delivers every pending delivery.
 */
describe('notification outbox across a restart of the real server process', () => {
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

  it.each(['SIGKILL', 'SIGTERM'] as const)(
    'after %s every pending delivery arrives, with its x-delivery-id and the attempt count continued',
    async (signal) => {
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
      const incidents: string[] = [];
      for (let i = 0; i < INCIDENTS; i += 1) {
        incidents.push((await postJson(`${server.baseUrl}/v1/incidents`, incidentBody())).id);
      }
      // Every flaky delivery has failed twice (stored), two stalled ones are in flight, the rest wait.
      await eventually(
        () => {
          const rows = readOutbox(dbPath);
          return (
            rows.length === 2 * INCIDENTS &&
            rows.filter((r) => r.channel_label === 'flaky' && r.attempts >= 2).length === INCIDENTS &&
            receiver.requests.filter((r) => r.path === '/stalled').length === 2
          );
        },
        15_000,
        'failed and stalled deliveries',
      );

      expect(await server.stop(signal)).toEqual({ code: null, signal });
      const pending = readOutbox(dbPath);
      expect(pending).toHaveLength(2 * INCIDENTS);
      expect(pending.filter((r) => r.status !== 'pending' && r.status !== 'delivering')).toEqual([]);
      const cutInFlight = pending.filter((r) => r.status === 'delivering');
      if (signal === 'SIGTERM') {
        // A graceful stop puts the requests it cut back.
        expect(cutInFlight).toEqual([]);
      } else {
        expect(cutInFlight.filter((r) => r.channel_label === 'stalled')).toHaveLength(2);
      }
      const firstRun = receiver.requests.length;

      receiver.answer = () => 200;
      server = await startServerProcess(env());
      const ids = new Set(pending.map((r) => r.id));
      await eventually(() => receiver.delivered().size === ids.size, 20_000, 'every pending delivery');
      expect(receiver.delivered()).toEqual(ids);

      const afterRestart = receiver.requests.slice(firstRun);
      for (const row of pending) {
        const sent = afterRestart.filter((r) => r.id === row.id);
        // Continued: the first request after the restart is the attempt after the last one stored.
        expect({ id: row.id, attempt: sent[0]?.attempt }).toEqual({ id: row.id, attempt: row.attempts + 1 });
        if (row.channel_label === 'stalled') {
          expect(sent.every((r) => r.authorization === 'Bearer s3cret')).toBe(true);
        }
      }
      expect(afterRestart.every((r) => r.status === 200)).toBe(true);

      // Each attempt is one notification_sent, across both processes: 1, 2, ... n, the last one the success.
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
    },
    150_000,
  );
});
