import { randomUUID } from 'node:crypto';
import type { Incident } from '../src/domain';
import type { DomainEvent } from '../src/events/event.types';
import { makeAlert, makeIncident } from './support/fixtures';
import { publish } from './support/publish';
import { Frame, WsTestClient, closeAll } from './support/ws-test-client';
import { TestApp, startTestApp } from './support/test-app';

/**
 * The filter matrix: a fixed set of events covering every matching rule (incident events, alert events with and
 * without an incident, incident-scoped events matched against their incident, an incident-scoped event whose
 * incident is unknown, a system event), published once to a set of clients each subscribed with one filter.
 * Each event carries a tag (a title, comment, reason or message) that says which it is.
 */
const A = makeIncident({
  title: 'cA',
  severity: 'P0',
  state: 'Detected',
  source: 'prometheus',
  affected_resources: ['api', 'db'],
  labels: { env: 'prod', team: 'core' },
});
const A_TRIAGED: Incident = { ...A, title: 'uA', state: 'Triaged' };
const B = makeIncident({
  title: 'cB',
  severity: 'P2',
  state: 'Investigating',
  source: 'grafana',
  affected_resources: ['web'],
  labels: { env: 'staging' },
});
const B_ESCALATED: Incident = { ...B, severity: 'P1' };
const UNKNOWN_INCIDENT_ID = randomUUID();
const BARRIER_ID = randomUUID();

const EVENTS: { event: DomainEvent; incident: Incident | null }[] = [
  { event: { event_type: 'incident_created', incident: A }, incident: A },
  { event: { event_type: 'incident_created', incident: B }, incident: B },
  {
    event: { event_type: 'incident_updated', incident: A_TRIAGED, previous_state: 'Detected' },
    incident: A_TRIAGED,
  },
  {
    event: {
      event_type: 'alert_received',
      alert: makeAlert({
        title: 'aA',
        severity: 'P0',
        source: 'prometheus',
        affected_services: ['api'],
        labels: { env: 'prod' },
        incident_id: A.id,
      }),
    },
    incident: A_TRIAGED,
  },
  {
    event: {
      event_type: 'alert_received',
      alert: makeAlert({
        title: 'aO',
        severity: 'P1',
        source: 'datadog',
        affected_services: ['cache'],
        labels: { env: 'prod' },
      }),
    },
    incident: null,
  },
  {
    event: {
      event_type: 'comment_added',
      incident_id: A.id,
      author: 'ann',
      comment: 'mA',
      timestamp: new Date().toISOString(),
    },
    incident: A_TRIAGED,
  },
  {
    event: {
      event_type: 'escalated',
      incident_id: B.id,
      from_severity: 'P2',
      to_severity: 'P1',
      reason: 'eB',
    },
    incident: B_ESCALATED,
  },
  { event: { event_type: 'system_event', category: 'test', message: 'sys', metadata: {} }, incident: null },
  {
    event: {
      event_type: 'comment_added',
      incident_id: UNKNOWN_INCIDENT_ID,
      author: 'ann',
      comment: 'mX',
      timestamp: new Date().toISOString(),
    },
    incident: null,
  },
];
const ALL = ['cA', 'cB', 'uA', 'aA', 'aO', 'mA', 'eB', 'sys', 'mX'];

/** Each case: the subscriptions of one connection, and the tags it must receive, in publish order. */
const CASES: { name: string; subscriptions: Record<string, unknown>[]; expected: string[] }[] = [
  { name: 'no filter matches everything', subscriptions: [{}], expected: ALL },
  {
    name: 'empty lists match everything',
    subscriptions: [{ event_types: [], severities: [], labels: {}, incident_ids: [] }],
    expected: ALL,
  },
  {
    name: 'event_types alone',
    subscriptions: [{ event_types: ['incident_created'] }],
    expected: ['cA', 'cB'],
  },
  {
    name: 'event_types with several types',
    subscriptions: [{ event_types: ['comment_added', 'system_event'] }],
    expected: ['mA', 'sys', 'mX'],
  },
  {
    name: 'severities alone (alerts by their own severity, comments by their incident)',
    subscriptions: [{ severities: ['P0'] }],
    expected: ['cA', 'uA', 'aA', 'mA', 'sys'],
  },
  {
    name: 'severities: escalated matched against the incident after the escalation',
    subscriptions: [{ severities: ['P1'] }],
    expected: ['aO', 'eB', 'sys'],
  },
  {
    name: "states alone (an alert by its incident's state; an alert without incident does not match)",
    subscriptions: [{ states: ['Triaged'] }],
    expected: ['uA', 'aA', 'mA', 'sys'],
  },
  { name: 'sources alone', subscriptions: [{ sources: ['grafana'] }], expected: ['cB', 'eB', 'sys'] },
  {
    name: 'affected_resources: any of',
    subscriptions: [{ affected_resources: ['db', 'cache'] }],
    expected: ['cA', 'uA', 'aO', 'mA', 'sys'],
  },
  {
    name: 'labels: one pair',
    subscriptions: [{ labels: { env: 'prod' } }],
    expected: ['cA', 'uA', 'aA', 'aO', 'mA', 'sys'],
  },
  {
    name: 'labels: every pair must match',
    subscriptions: [{ labels: { env: 'prod', team: 'core' } }],
    expected: ['cA', 'uA', 'mA', 'sys'],
  },
  {
    name: 'incident_ids (alerts by their incident, comments by the incident they name)',
    subscriptions: [{ incident_ids: [A.id] }],
    expected: ['cA', 'uA', 'aA', 'mA', 'sys'],
  },
  {
    name: 'incident_ids in upper case, for an incident the server does not know',
    subscriptions: [{ incident_ids: [UNKNOWN_INCIDENT_ID.toUpperCase()] }],
    expected: ['sys', 'mX'],
  },
  {
    name: 'AND inside a subscription: severities and states',
    subscriptions: [{ severities: ['P0'], states: ['Detected'] }],
    expected: ['cA', 'sys'],
  },
  {
    name: 'AND inside a subscription: event_types and labels',
    subscriptions: [{ event_types: ['alert_received'], labels: { env: 'prod' } }],
    expected: ['aA', 'aO'],
  },
  {
    name: 'AND inside a subscription: P0 incidents labelled env=prod get their comments too',
    subscriptions: [
      { event_types: ['incident_created', 'comment_added'], severities: ['P0'], labels: { env: 'prod' } },
    ],
    expected: ['cA', 'mA'],
  },
  {
    name: 'AND that nothing satisfies (system events still match: they are filtered by type only)',
    subscriptions: [{ severities: ['P2'], sources: ['prometheus'] }],
    expected: ['sys'],
  },
  {
    name: 'label_matchers: a regex (an alert by its own labels; an unknown incident matches no matcher)',
    subscriptions: [{ label_matchers: [{ name: 'env', op: '=~', value: 'prod|staging' }] }],
    expected: ['cA', 'cB', 'uA', 'aA', 'aO', 'mA', 'eB', 'sys'],
  },
  {
    name: 'label_matchers: regexes are anchored at both ends',
    subscriptions: [{ label_matchers: [{ name: 'env', op: '=~', value: 'pro' }] }],
    expected: ['sys'],
  },
  {
    name: 'label_matchers: != on a missing label reads it as the empty string',
    subscriptions: [{ label_matchers: [{ name: 'team', op: '!=', value: 'core' }] }],
    expected: ['cB', 'aA', 'aO', 'eB', 'sys'],
  },
  {
    name: 'label_matchers: !~ and every matcher must hold',
    subscriptions: [
      {
        label_matchers: [
          { name: 'team', op: '!~', value: 'co.*' },
          { name: 'env', op: '=~', value: 'p.+' },
        ],
      },
    ],
    expected: ['aA', 'aO', 'sys'],
  },
  {
    name: 'min_severity: that severity and every more severe one (escalated after the escalation)',
    subscriptions: [{ min_severity: 'P1' }],
    expected: ['cA', 'uA', 'aA', 'aO', 'mA', 'eB', 'sys'],
  },
  {
    name: 'min_severity AND label_matchers AND event_types',
    subscriptions: [
      {
        event_types: ['incident_created', 'alert_received', 'comment_added'],
        min_severity: 'P0',
        label_matchers: [{ name: 'env', op: '=', value: 'prod' }],
      },
    ],
    expected: ['cA', 'aA', 'mA'],
  },
  {
    name: 'min_severity AND severities that cannot both hold',
    subscriptions: [{ min_severity: 'P0', severities: ['P2'] }],
    expected: ['sys'],
  },
  {
    name: 'OR across subscriptions, each event once',
    subscriptions: [{ severities: ['P2'] }, { event_types: ['comment_added'] }],
    expected: ['cB', 'mA', 'sys', 'mX'],
  },
  {
    name: 'OR of overlapping subscriptions: one copy per connection',
    subscriptions: [{}, { severities: ['P0'] }, { event_types: ['system_event'] }],
    expected: ALL,
  },
];

describe('subscription filters: the matching matrix', () => {
  let t: TestApp;
  const clients: WsTestClient[] = [];
  const received = new Map<string, Frame[]>();

  beforeAll(async () => {
    t = await startTestApp();
    for (const c of CASES) {
      const client = await WsTestClient.connect(t.wsUrl);
      clients.push(client);
      for (const [i, filters] of c.subscriptions.entries()) await client.subscribe(`case-${i}`, filters);
      // Tells the client that everything before it has been delivered.
      await client.subscribe('barrier', { event_types: ['incident_closed'], incident_ids: [BARRIER_ID] });
    }
    for (const { event, incident } of EVENTS) await publish(t.app, event, incident);
    const barrier = makeIncident({ id: BARRIER_ID, state: 'Closed', title: 'barrier' });
    await publish(t.app, { event_type: 'incident_closed', incident: barrier }, barrier);
    for (const [i, client] of clients.entries()) {
      const events = await client.events(CASES[i].expected.length + 1);
      expect(events.at(-1)?.event.incident?.id).toBe(BARRIER_ID);
      received.set(CASES[i].name, events.slice(0, -1));
    }
  });

  afterAll(async () => {
    await closeAll(clients);
    await t.cleanup();
  });

  it.each(CASES.map((c) => [c.name, c.expected] as const))('%s', (name, expected) => {
    expect(received.get(name)?.map(tagOf)).toEqual(expected);
  });

  it('keeps publish order and strictly increasing sequences on every connection', () => {
    for (const events of received.values()) {
      const sequences = events.map((e) => Number(e.sequence));
      expect(sequences).toEqual([...sequences].sort((a, b) => a - b));
      expect(new Set(sequences).size).toBe(sequences.length);
    }
  });
});

function tagOf(frame: Frame): string {
  const event = frame.event;
  switch (event.event_type) {
    case 'incident_created':
    case 'incident_updated':
    case 'incident_closed':
      return event.incident.title;
    case 'alert_received':
      return event.alert.title;
    case 'comment_added':
      return event.comment;
    case 'escalated':
      return event.reason;
    case 'system_event':
      return event.message;
    default:
      return `unexpected ${event.event_type}`;
  }
}
