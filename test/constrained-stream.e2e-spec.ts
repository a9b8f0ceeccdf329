import { SignJWT } from 'jose';
import type { Incident } from '../src/domain';
import { incidentMatchesConstraint } from '../src/common/incident-constraint';
import type { SubscriptionFiltersDto } from '../src/common/subscription-filters';
import { makeIncident } from './support/fixtures';
import { publishAll } from './support/publish';
import { TestApp, startTestApp } from './support/test-app';
import { WsTestClient, closeAll } from './support/ws-test-client';
import { prng } from './support/prng';

const JWT_SECRET = 'constrained-stream-secret-of-32+-characters';

const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
const STATES = ['Detected', 'Investigating', 'Remediating'] as const;
const SOURCES = ['prometheus', 'siem', 'manual'];
const RESOURCES = ['db', 'api', 'vpn'];
const TEAMS = ['db', 'web', 'sre'];

function randomFilter(random: () => number): SubscriptionFiltersDto {
  const some = <T>(values: readonly T[]): T[] => (random() < 0.5 ? [] : values.filter(() => random() < 0.5));
  const filter: SubscriptionFiltersDto = {};
  const severities = some(SEVERITIES);
  const states = some(STATES);
  const sources = some(SOURCES);
  const resources = some(RESOURCES);
  if (severities.length > 0) filter.severities = severities;
  if (states.length > 0) filter.states = states;
  if (sources.length > 0) filter.sources = sources;
  if (resources.length > 0) filter.affected_resources = resources;
  if (random() < 0.3) filter.labels = { team: TEAMS[Math.floor(random() * TEAMS.length)] };
  if (random() < 0.3) filter.min_severity = SEVERITIES[Math.floor(random() * SEVERITIES.length)];
  if (random() < 0.3) {
    filter.label_matchers = [
      random() < 0.5
        ? { name: 'team', op: '=~', value: random() < 0.5 ? 'db|sre' : 'w.*' }
        : { name: 'team', op: '!=', value: TEAMS[Math.floor(random() * TEAMS.length)] },
    ];
  }
  return filter;
}

function randomIncident(random: () => number, n: number): Incident {
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  return makeIncident({
    title: `random ${n}`,
    severity: pick(SEVERITIES),
    state: pick(STATES),
    source: pick(SOURCES),
    affected_resources: RESOURCES.filter(() => random() < 0.4),
    labels: random() < 0.8 ? { team: pick(TEAMS) } : {},
  });
}

describe('a constrained subscriber on the real stream (randomised)', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];
  /** Across the rounds: events delivered, and events a subscription asked for that the constraint held back. */
  const tally = { delivered: 0, heldBack: 0 };

  beforeAll(async () => {
    t = await startTestApp({ AUTH_MODE: 'required', AUTH_JWT_SECRET: JWT_SECRET });
  });

  afterEach(async () => {
    await closeAll(clients.splice(0));
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])(
    'round %i: receives exactly the events both its subscriptions and its constraint match (250 events)',
    async (seed) => {
      const random = prng(seed * 7919);
      const constraint = randomFilter(random);
      const token = await new SignJWT({
        sub: `wall-${seed}`,
        scope: 'stream:read',
        llm_im_constraint: constraint,
      })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(JWT_SECRET));
      const client = await WsTestClient.connect(t.wsUrl, { headers: { authorization: `Bearer ${token}` } });
      clients.push(client);
      const subscriptions = [randomFilter(random), randomFilter(random), randomFilter(random)];
      for (const [i, filters] of subscriptions.entries()) await client.subscribe(`s${i}`, { ...filters });

      const incidents = Array.from({ length: 250 }, (_, n) => randomIncident(random, n));
      await publishAll(
        t.app,
        incidents.map((incident) => ({
          event: { event_type: 'incident_created' as const, incident },
          incident,
        })),
      );
      // A sentinel: the pong to this ping is queued behind every event already due to the connection.
      const timestamp = `2001-01-01T00:00:${String(seed).padStart(2, '0')}Z`;
      client.send({ type: 'ping', timestamp });
      await client.waitFor((frame) => frame.type === 'pong' && frame.timestamp === timestamp);

      const expected = incidents
        .filter(
          (incident) =>
            incidentMatchesConstraint(incident, constraint) &&
            subscriptions.some((filters) => incidentMatchesConstraint(incident, filters)),
        )
        .map((incident) => incident.title);
      const received = client.receivedEvents().map((frame) => frame.event.incident as Incident);
      // Never anything outside the constraint, whatever the subscriptions asked for...
      expect(received.filter((incident) => !incidentMatchesConstraint(incident, constraint))).toEqual([]);
      // ...and exactly what the subscriptions ask within it, each once, in order.
      expect(received.map((incident) => incident.title)).toEqual(expected);
      tally.delivered += received.length;
      tally.heldBack += incidents.filter(
        (incident) =>
          !incidentMatchesConstraint(incident, constraint) &&
          subscriptions.some((filters) => incidentMatchesConstraint(incident, filters)),
      ).length;
    },
  );

  it('was not vacuous: events were delivered, and the constraint held back events that were asked for', () => {
    expect(tally.delivered).toBeGreaterThan(100);
    expect(tally.heldBack).toBeGreaterThan(100);
  });
});
