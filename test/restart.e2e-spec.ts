import request from 'supertest';
import { alertBody, createIncident } from './support/fixtures';
import { startTestApp } from './support/test-app';

describe('restart on the same SQLite file', () => {
  it('keeps every incident, alert and event, keeps deduplicating and continues the event sequence', async () => {
    const first = await startTestApp();
    const location = { dbPath: first.dbPath, dir: first.dir };
    const alert = alertBody();
    const created = [];
    try {
      created.push(
        (await request(first.baseUrl).post('/v1/alerts').send(alert).expect(200)).body.incident_id,
      );
      for (let i = 0; i < 4; i += 1) {
        created.push((await createIncident(first.baseUrl)).id);
      }
      await request(first.baseUrl)
        .post(`/v1/incidents/${created[1]}/comments`)
        .send({ author: 'a', comment: 'before restart' })
        .expect(201);
    } finally {
      await first.close();
    }
    await expect(fetch(`${first.baseUrl}/health/live`)).rejects.toThrow();

    const second = await startTestApp({}, location);
    try {
      const list = (await request(second.baseUrl).get('/v1/incidents?page_size=100').expect(200)).body;
      expect(list.total).toBe(5);
      expect(list.incidents.map((i: { id: string }) => i.id).sort()).toEqual([...created].sort());
      const withNote = (await request(second.baseUrl).get(`/v1/incidents/${created[1]}`).expect(200)).body;
      expect(withNote.notes[0].content).toBe('before restart');

      const dup = (await request(second.baseUrl).post('/v1/alerts').send(alert).expect(200)).body;
      expect(dup).toMatchObject({ status: 'Duplicate', incident_id: created[0] });

      const log = (await request(second.baseUrl).get('/v1/events?limit=1000').expect(200)).body.events;
      const sequences = log.map((e: { sequence: number }) => e.sequence);
      expect(sequences).toEqual([...sequences].sort((a: number, b: number) => a - b));
      expect(new Set(sequences).size).toBe(sequences.length);
      const domain = log.filter((e: { event_type: string }) => e.event_type !== 'system_event');
      expect(domain.map((e: { event_type: string }) => e.event_type)).toEqual([
        'alert_received',
        'alert_converted',
        'incident_created',
        ...Array(4).fill('incident_created'),
        'comment_added',
        'alert_received',
        'incident_updated',
      ]);
    } finally {
      await second.cleanup();
    }
  });
});
