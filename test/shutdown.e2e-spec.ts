import request from 'supertest';
import { alertBody } from './support/fixtures';
import { startTestApp } from './support/test-app';

/** status 0: the request was refused because the server had stopped accepting. */
interface Outcome {
  status: number;
  body: { alert_id?: string };
}

describe('graceful shutdown', () => {
  it('finishes in-flight requests before closing the database: every acknowledged alert is stored', async () => {
    const first = await startTestApp();
    const location = { dbPath: first.dbPath, dir: first.dir };
    const inFlight = Array.from({ length: 40 }, () =>
      fetch(`${first.baseUrl}/v1/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alertBody()),
      }).then(
        async (res): Promise<Outcome> => ({
          status: res.status,
          body: (await res.json()) as Outcome['body'],
        }),
        (): Outcome => ({ status: 0, body: {} }),
      ),
    );
    // Close as soon as the first one is answered, while the others are being processed.
    await Promise.race(inFlight);
    await first.close();
    const results = await Promise.all(inFlight);
    const acknowledged = results.filter((r) => r.status === 200);
    expect(results.every((r) => r.status === 200 || r.status === 0)).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(0);

    const second = await startTestApp({}, location);
    try {
      for (const { body } of acknowledged) {
        await request(second.baseUrl)
          .get(`/v1/alerts/${String(body.alert_id)}`)
          .expect(200);
      }
      const total = (await request(second.baseUrl).get('/v1/incidents?page_size=100').expect(200)).body.total;
      expect(total).toBe(acknowledged.length);
    } finally {
      await second.cleanup();
    }
  });
});
