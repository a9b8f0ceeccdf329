import request from 'supertest';
import { alertBody } from './support/fixtures';
import { RawHttpConnection, RawResponse, requestsReceived } from './support/raw-http-connection';
import { startTestApp } from './support/test-app';

/** Bytes of a body kept back so that the server has the request in flight but cannot answer it yet. */
const HELD_BACK = 10;

function alertIdOf(response: RawResponse): string {
  return (JSON.parse(response.body) as { alert_id: string }).alert_id;
}

async function openConnections(baseUrl: string, count: number): Promise<RawHttpConnection[]> {
  return Promise.all(Array.from({ length: count }, () => RawHttpConnection.open(baseUrl)));
}

describe('graceful shutdown of HTTP', () => {
  it('answers every request in flight on a keep-alive connection with Connection: close, resets none, and stores every acknowledged alert', async () => {
    const first = await startTestApp();
    const location = { dbPath: first.dbPath, dir: first.dir };
    const busy = await openConnections(first.baseUrl, 16);
    const idle = await openConnections(first.baseUrl, 8);
    const all = [...busy, ...idle];
    try {
      // One answered request each: every connection is an open keep-alive connection when shutdown starts.
      for (const connection of all) connection.post('/v1/alerts', alertBody());
      for (const connection of all) {
        const [warm] = await connection.responsesUntil(1);
        expect(warm).toMatchObject({ status: 200, headers: { connection: 'keep-alive' } });
      }
      const received = requestsReceived(first.app.getHttpServer(), busy.length);
      const inFlight = busy.map((connection) => connection.post('/v1/alerts', alertBody(), HELD_BACK));
      await received;

      const closing = first.close();
      // Shutdown has begun: the requests in flight can complete now, and the idle connections send new ones.
      for (const request of inFlight) request.finish();
      for (const connection of idle) connection.post('/v1/alerts', alertBody());
      await closing;

      for (const connection of busy) {
        const [, answer] = await connection.responsesUntil(2);
        expect(answer).toMatchObject({ status: 200, headers: { connection: 'close' } });
        expect(await connection.ended).toBe('fin');
      }
      // A request on an idle connection is answered, or the connection is closed in order before it is read.
      for (const connection of idle) {
        expect(await connection.ended).toBe('fin');
        for (const answer of connection.responses.slice(1)) {
          expect(answer).toMatchObject({ status: 200, headers: { connection: 'close' } });
        }
      }
    } finally {
      for (const connection of all) connection.destroy();
    }

    const acknowledged = all.flatMap((connection) => connection.responses.filter((r) => r.status === 200));
    const second = await startTestApp({}, location);
    try {
      for (const answer of acknowledged) {
        await request(second.baseUrl)
          .get(`/v1/alerts/${alertIdOf(answer)}`)
          .expect(200);
      }
      const total = (await request(second.baseUrl).get('/v1/incidents?page_size=100').expect(200)).body.total;
      expect(total).toBe(acknowledged.length);
    } finally {
      await second.cleanup();
    }
  });

  it('does not let a request that never completes hold shutdown past the drain wait', async () => {
    // A third of the 1.5 s grace period for the HTTP drain.
    const t = await startTestApp({ SHUTDOWN_GRACE_SECS: '1.5' });
    const [stuck, healthy] = await openConnections(t.baseUrl, 2);
    try {
      const received = requestsReceived(t.app.getHttpServer(), 2);
      stuck.post('/v1/alerts', alertBody(), HELD_BACK);
      const inFlight = healthy.post('/v1/alerts', alertBody(), HELD_BACK);
      await received;

      const started = Date.now();
      const closing = t.cleanup();
      inFlight.finish();
      await closing;
      expect(Date.now() - started).toBeLessThan(1500);
      const [answer] = await healthy.responsesUntil(1);
      expect(answer).toMatchObject({ status: 200, headers: { connection: 'close' } });
      expect(stuck.responses).toHaveLength(0);
      await stuck.ended;
    } finally {
      stuck.destroy();
      healthy.destroy();
    }
  });
});
