import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { IncidentUpdatedEvent } from '../src/events/event.types';
import { EventCapture } from './support/event-capture';
import { createIncident } from './support/fixtures';
import { TestApp, startTestApp } from './support/test-app';

describe('POST /v1/incidents/:id/acknowledge', () => {
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

  const acknowledge = (id: string, body: Record<string, unknown> = {}) =>
    request(t.baseUrl).post(`/v1/incidents/${id}/acknowledge`).send(body);

  it('moves a Detected incident to Triaged and publishes incident_updated with previous_state', async () => {
    const incident = await createIncident(t.baseUrl);
    events.clear();
    const res = await acknowledge(incident.id, { actor: 'alice' }).expect(200);
    expect(res.body).toMatchObject({ id: incident.id, state: 'Triaged' });
    expect(res.body.timeline.at(-1)).toMatchObject({
      event_type: 'StateChanged',
      actor: 'alice',
      metadata: { from: 'Detected', to: 'Triaged' },
    });
    expect(events.types).toEqual(['incident_updated']);
    const [envelope] = events.envelopes;
    expect((envelope.event as IncidentUpdatedEvent).previous_state).toBe('Detected');
    // The envelope carries the incident as it was before (filtered views see it leave Detected).
    expect(envelope.previous?.state).toBe('Detected');
    expect(envelope.incident?.state).toBe('Triaged');
  });

  it('is a 200 no-op on an incident already acknowledged (any other active state): nothing changes or is published', async () => {
    const incident = await createIncident(t.baseUrl);
    for (const state of ['Triaged', 'Investigating', 'Remediating']) {
      await request(t.baseUrl).patch(`/v1/incidents/${incident.id}`).send({ state }).expect(200);
      const before = (await request(t.baseUrl).get(`/v1/incidents/${incident.id}`).expect(200)).body;
      events.clear();
      const res = await acknowledge(incident.id).expect(200);
      expect(res.body).toEqual(before);
      expect(events.types).toEqual([]);
    }
  });

  it.each([
    ['Resolved', { state: 'Resolved' }],
    ['Closed', { state: 'Closed' }],
  ])('answers 409 INVALID_STATE_TRANSITION on a %s incident', async (state, patch) => {
    const incident = await createIncident(t.baseUrl);
    await request(t.baseUrl).patch(`/v1/incidents/${incident.id}`).send(patch).expect(200);
    events.clear();
    const res = await acknowledge(incident.id).expect(409);
    expect(res.body.error).toEqual({
      code: 'INVALID_STATE_TRANSITION',
      message: `Cannot acknowledge: incident ${incident.id} is ${state}`,
      status: 409,
    });
    expect(events.types).toEqual([]);
  });

  it('defaults the actor to "api" without a credential, and needs no body', async () => {
    const incident = await createIncident(t.baseUrl);
    const res = await request(t.baseUrl).post(`/v1/incidents/${incident.id}/acknowledge`).expect(200);
    expect(res.body.timeline.at(-1).actor).toBe('api');
  });

  it.each([
    ['a null actor', { actor: null }],
    ['an empty actor', { actor: '' }],
    ['a number actor', { actor: 7 }],
  ])('refuses %s with 400 VALIDATION_ERROR', async (_what, body) => {
    const incident = await createIncident(t.baseUrl);
    const res = await acknowledge(incident.id, body).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_ERROR');
  });

  it('answers 404 for an unknown incident', async () => {
    await acknowledge('00000000-0000-4000-8000-000000000000').expect(404);
  });
});

describe('POST /v1/incidents/:id/acknowledge with AUTH_MODE=required', () => {
  let t: TestApp;
  let dir: string;
  let admin: string;

  const keyWith = async (name: string, scopes: string[]): Promise<string> =>
    (
      await request(t.baseUrl)
        .post('/v1/api-keys')
        .set('authorization', `Bearer ${admin}`)
        .send({ name, scopes })
        .expect(201)
    ).body.key as string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llm-im-ack-'));
    t = await startTestApp({ AUTH_MODE: 'required', ADMIN_KEY_FILE: join(dir, 'admin.key') });
    admin = readFileSync(join(dir, 'admin.key'), 'utf8').trim();
  });

  afterAll(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes the credential's name as the actor when the body names none; needs incidents:write", async () => {
    const writer = await keyWith('oncall-bot', ['incidents:write']);
    const reader = await keyWith('wall', ['incidents:read']);
    const incident = (
      await request(t.baseUrl)
        .post('/v1/incidents')
        .set('authorization', `Bearer ${writer}`)
        .send({ source: 's', title: 't', description: '', severity: 'P2', incident_type: 'Unknown' })
        .expect(201)
    ).body as { id: string };
    const path = `/v1/incidents/${incident.id}/acknowledge`;
    await request(t.baseUrl).post(path).expect(401);
    await request(t.baseUrl).post(path).set('authorization', `Bearer ${reader}`).expect(403);
    const res = await request(t.baseUrl).post(path).set('authorization', `Bearer ${writer}`).expect(200);
    expect(res.body.timeline.at(-1)).toMatchObject({ event_type: 'StateChanged', actor: 'oncall-bot' });
  });
});
