import request from 'supertest';
import { EventCapture } from './support/event-capture';
import { createIncident, incidentBody } from './support/fixtures';
import { startTestApp, TestApp } from './support/test-app';

describe('incidents REST API', () => {
  let t: TestApp;
  let events: EventCapture;

  beforeAll(async () => {
    t = await startTestApp();
    events = new EventCapture(t.app);
  });

  afterAll(async () => {
    events.stop();
    await t.cleanup();
  });

  beforeEach(() => events.clear());

  const create = (overrides: Record<string, unknown> = {}) => createIncident(t.baseUrl, overrides);

  describe('POST /v1/incidents', () => {
    it('answers 201 with the full incident, one Created timeline entry, and publishes incident_created', async () => {
      const body = incidentBody({ labels: { env: 'prod', region: 'eu' } });
      const res = await request(t.baseUrl).post('/v1/incidents').send(body).expect(201);
      expect(res.body).toMatchObject({
        state: 'Detected',
        severity: 'P2',
        incident_type: 'Performance',
        title: body.title,
        affected_resources: ['orders-db'],
        labels: { env: 'prod', region: 'eu' },
        fingerprint: null,
        resolution: null,
      });
      expect(res.body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(res.body.timeline).toHaveLength(1);
      expect(events.types).toEqual(['incident_created']);
    });
  });

  describe('GET /v1/incidents/:id', () => {
    it('accepts the id in upper case and returns it lowercase', async () => {
      const incident = await create();
      const res = await request(t.baseUrl).get(`/v1/incidents/${incident.id.toUpperCase()}`).expect(200);
      expect(res.body.id).toBe(incident.id);
    });

    it('answers 404 NOT_FOUND for an unknown id', async () => {
      const res = await request(t.baseUrl)
        .get('/v1/incidents/00000000-0000-4000-8000-000000000000')
        .expect(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    });
  });

  describe('PATCH and PUT /v1/incidents/:id', () => {
    it('changes state with a StateChanged entry and incident_updated carrying previous_state', async () => {
      const incident = await create();
      events.clear();
      const res = await request(t.baseUrl)
        .patch(`/v1/incidents/${incident.id}`)
        .send({ state: 'Investigating', actor: 'alice' })
        .expect(200);
      expect(res.body.state).toBe('Investigating');
      expect(res.body.timeline.at(-1)).toMatchObject({ event_type: 'StateChanged', actor: 'alice' });
      expect(events.types).toEqual(['incident_updated']);
      expect(events.envelopes[0].event).toMatchObject({ previous_state: 'Detected' });
    });

    it('publishes assignment_changed when assignees change and escalated when severity rises', async () => {
      const incident = await create({ severity: 'P3' });
      events.clear();
      const res = await request(t.baseUrl)
        .put(`/v1/incidents/${incident.id}`)
        .send({ severity: 'P1', assignees: ['bob', 'carol'] })
        .expect(200);
      expect(res.body.assignees).toEqual(['bob', 'carol']);
      expect(res.body.severity).toBe('P1');
      expect(events.types).toEqual(['incident_updated', 'assignment_changed', 'escalated']);
      expect(events.envelopes[0].event).toMatchObject({ previous_state: null });
      expect(events.envelopes[1].event).toMatchObject({
        incident_id: incident.id,
        assignees: ['bob', 'carol'],
      });
      expect(events.envelopes[2].event).toMatchObject({ from_severity: 'P3', to_severity: 'P1' });
      const types = res.body.timeline.map((e: { event_type: string }) => e.event_type);
      expect(types).toEqual(expect.arrayContaining(['SeverityChanged', 'AssignmentChanged', 'Escalated']));
    });

    it('does not publish escalated when severity is lowered', async () => {
      const incident = await create({ severity: 'P1' });
      events.clear();
      await request(t.baseUrl).patch(`/v1/incidents/${incident.id}`).send({ severity: 'P3' }).expect(200);
      expect(events.types).toEqual(['incident_updated']);
    });

    it('replaces labels and publishes nothing when nothing changed', async () => {
      const incident = await create();
      const res = await request(t.baseUrl)
        .patch(`/v1/incidents/${incident.id}`)
        .send({ labels: { team: 'db' } })
        .expect(200);
      expect(res.body.labels).toEqual({ team: 'db' });
      events.clear();
      await request(t.baseUrl)
        .patch(`/v1/incidents/${incident.id}`)
        .send({ labels: { team: 'db' } })
        .expect(200);
      expect(events.types).toEqual([]);
    });

    it('resolving via PATCH records a resolution and publishes incident_updated then incident_resolved', async () => {
      const incident = await create();
      events.clear();
      const res = await request(t.baseUrl)
        .patch(`/v1/incidents/${incident.id}`)
        .send({ state: 'Resolved', actor: 'dave' })
        .expect(200);
      expect(res.body.resolution).toMatchObject({ resolved_by: 'dave', resolution_method: 'Manual' });
      expect(events.types).toEqual(['incident_updated', 'incident_resolved']);
    });

    it('reopens a Resolved incident to an active state and clears its resolution', async () => {
      const incident = await create();
      await request(t.baseUrl)
        .post(`/v1/incidents/${incident.id}/resolve`)
        .send({ resolved_by: 'x', method: 'Manual', notes: 'n' })
        .expect(200);
      const res = await request(t.baseUrl)
        .patch(`/v1/incidents/${incident.id}`)
        .send({ state: 'Investigating' })
        .expect(200);
      expect(res.body.state).toBe('Investigating');
      expect(res.body.resolution).toBeNull();
    });
  });

  describe('lifecycle actions', () => {
    it('resolve answers 200 with the resolution and publishes incident_resolved', async () => {
      const incident = await create();
      events.clear();
      const res = await request(t.baseUrl)
        .post(`/v1/incidents/${incident.id}/resolve`)
        .send({
          resolved_by: 'erin',
          method: 'AutoAssistedManual',
          notes: 'rolled back',
          root_cause: 'bad deploy',
        })
        .expect(200);
      expect(res.body.state).toBe('Resolved');
      expect(res.body.resolution).toEqual({
        resolved_at: expect.any(String),
        resolved_by: 'erin',
        resolution_method: 'AutoAssistedManual',
        root_cause: 'bad deploy',
        notes: 'rolled back',
      });
      expect(res.body.timeline.at(-1).event_type).toBe('Resolved');
      expect(events.types).toEqual(['incident_resolved']);
    });

    it('resolving twice is 409 INVALID_STATE_TRANSITION', async () => {
      const incident = await create();
      const body = { resolved_by: 'x', method: 'Manual', notes: '' };
      await request(t.baseUrl).post(`/v1/incidents/${incident.id}/resolve`).send(body).expect(200);
      const res = await request(t.baseUrl)
        .post(`/v1/incidents/${incident.id}/resolve`)
        .send(body)
        .expect(409);
      expect(res.body.error).toMatchObject({ code: 'INVALID_STATE_TRANSITION', status: 409 });
    });

    it('close answers 200 and publishes incident_closed; a Closed incident refuses everything but close', async () => {
      const incident = await create();
      events.clear();
      const closed = await request(t.baseUrl)
        .post(`/v1/incidents/${incident.id}/close`)
        .send({ actor: 'frank' })
        .expect(200);
      expect(closed.body.state).toBe('Closed');
      expect(events.types).toEqual(['incident_closed']);

      events.clear();
      const id = incident.id;
      const refused = [
        request(t.baseUrl).patch(`/v1/incidents/${id}`).send({ state: 'Investigating' }),
        request(t.baseUrl).patch(`/v1/incidents/${id}`).send({ severity: 'P0' }),
        request(t.baseUrl)
          .patch(`/v1/incidents/${id}`)
          .send({ assignees: ['x'] }),
        request(t.baseUrl)
          .post(`/v1/incidents/${id}/resolve`)
          .send({ resolved_by: 'x', method: 'Manual', notes: '' }),
        request(t.baseUrl).post(`/v1/incidents/${id}/escalate`).send({ to_severity: 'P0', reason: 'x' }),
        request(t.baseUrl).post(`/v1/incidents/${id}/comments`).send({ author: 'x', comment: 'y' }),
      ];
      for (const pending of refused) {
        const res = await pending;
        expect(res.status).toBe(409);
        expect(res.body.error.code).toBe('INVALID_STATE_TRANSITION');
      }
      const again = await request(t.baseUrl).post(`/v1/incidents/${id}/close`).send({}).expect(200);
      expect(again.body.state).toBe('Closed');
      expect(events.types).toEqual([]);
    });

    it('comments answer 201 with the note, add a timeline entry and publish comment_added', async () => {
      const incident = await create();
      events.clear();
      const res = await request(t.baseUrl)
        .post(`/v1/incidents/${incident.id}/comments`)
        .send({ author: 'gina', comment: 'looking at the db' })
        .expect(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        author: 'gina',
        content: 'looking at the db',
        created_at: expect.any(String),
      });
      const stored = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`)).body;
      expect(stored.notes).toEqual([res.body]);
      expect(stored.timeline.at(-1)).toMatchObject({ event_type: 'CommentAdded', actor: 'gina' });
      expect(events.types).toEqual(['comment_added']);
      expect(events.envelopes[0].event).toMatchObject({
        incident_id: incident.id,
        author: 'gina',
        comment: 'looking at the db',
      });
    });

    it('escalate raises the severity, answers 200 and publishes incident_updated then escalated; not raising it is 409', async () => {
      const incident = await create({ severity: 'P2' });
      events.clear();
      const res = await request(t.baseUrl)
        .post(`/v1/incidents/${incident.id}/escalate`)
        .send({ to_severity: 'P0', reason: 'customer impact' })
        .expect(200);
      expect(res.body.severity).toBe('P0');
      expect(events.types).toEqual(['incident_updated', 'escalated']);
      expect(events.envelopes[0].event).toMatchObject({
        event_type: 'incident_updated',
        incident: { id: incident.id, severity: 'P0' },
        previous_state: null,
      });
      expect(events.envelopes[1].event).toEqual({
        event_type: 'escalated',
        incident_id: incident.id,
        from_severity: 'P2',
        to_severity: 'P0',
        reason: 'customer impact',
      });
      expect(events.envelopes[1].incident?.severity).toBe('P0');
      await request(t.baseUrl)
        .post(`/v1/incidents/${incident.id}/escalate`)
        .send({ to_severity: 'P1', reason: 'lower' })
        .expect(409);
    });
  });

  describe('GET /v1/incidents (filters and paging)', () => {
    const source = `list-${Date.now()}`;
    const ids: string[] = [];

    beforeAll(async () => {
      for (const [severity, state] of [
        ['P0', 'Detected'],
        ['P1', 'Investigating'],
        ['P2', 'Resolved'],
        ['P3', 'Closed'],
        ['P1', 'Triaged'],
      ]) {
        const incident = await create({ source, severity });
        if (state === 'Resolved' || state === 'Closed' || state !== 'Detected') {
          await request(t.baseUrl).patch(`/v1/incidents/${incident.id}`).send({ state }).expect(200);
        }
        ids.push(incident.id);
      }
    });

    const list = async (query: string) =>
      (await request(t.baseUrl).get(`/v1/incidents?source=${source}&${query}`).expect(200)).body;

    it('lists newest first with total, page and page_size', async () => {
      const res = await list('');
      expect(res.total).toBe(5);
      expect(res.page).toBe(0);
      expect(res.page_size).toBe(20);
      expect(res.incidents.map((i: { id: string }) => i.id)).toEqual([...ids].reverse());
    });

    it('pages with page and page_size', async () => {
      const first = await list('page_size=2&page=0');
      const second = await list('page_size=2&page=1');
      const third = await list('page_size=2&page=2');
      expect(first.total).toBe(5);
      expect(
        [...first.incidents, ...second.incidents, ...third.incidents].map((i: { id: string }) => i.id),
      ).toEqual([...ids].reverse());
      expect(third.incidents).toHaveLength(1);
    });

    it('filters by active_only, state, severity (repeatable or comma-separated) and source', async () => {
      expect((await list('active_only=true')).total).toBe(3);
      expect((await list('state=Resolved')).total).toBe(1);
      expect((await list('state=Resolved,Closed')).total).toBe(2);
      expect((await list('severity=P1&severity=P0')).total).toBe(3);
      expect((await list('severity=P1&state=Triaged')).total).toBe(1);
      const none = (await request(t.baseUrl).get('/v1/incidents?source=nobody-at-all').expect(200)).body;
      expect(none).toEqual({ incidents: [], total: 0, page: 0, page_size: 20 });
    });

    it('rejects page_size over 100, negative pages and unknown enum values with 400', async () => {
      for (const query of [
        'page_size=101',
        'page=-1',
        'page_size=0',
        'state=Bogus',
        'severity=P9',
        'active_only=maybe',
      ]) {
        const res = await request(t.baseUrl).get(`/v1/incidents?${query}`);
        expect({ query, status: res.status, code: res.body.error?.code }).toEqual({
          query,
          status: 400,
          code: 'VALIDATION_ERROR',
        });
      }
    });
  });

  describe('event log', () => {
    it('keeps every published event with strictly increasing sequences, readable per incident', async () => {
      const incident = await create();
      await request(t.baseUrl)
        .post(`/v1/incidents/${incident.id}/comments`)
        .send({ author: 'a', comment: 'b' });
      await request(t.baseUrl).post(`/v1/incidents/${incident.id}/close`).send({});
      const res = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}/events`).expect(200)).body;
      expect(res.events.map((e: { event_type: string }) => e.event_type)).toEqual([
        'incident_created',
        'comment_added',
        'incident_closed',
      ]);
      const sequences = res.events.map((e: { sequence: number }) => e.sequence);
      expect([...sequences].sort((a, b) => a - b)).toEqual(sequences);
      const after = (await request(t.baseUrl).get(`/v1/events?after_sequence=${sequences[0]}&limit=1000`))
        .body;
      expect(after.events[0].sequence).toBeGreaterThan(sequences[0]);
    });
  });
});
