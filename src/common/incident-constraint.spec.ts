import { randomUUID } from 'node:crypto';
import { INCIDENT_STATES, Incident, SEVERITIES } from '../domain';
import { makeIncident } from '../../test/support/fixtures';
// Only the spec looks at the WebSocket filter: the two must agree on what an incident matches.
import { matchSubjectOf } from '../events/match-subject';
import { SubscriptionFilter } from '../streaming/routing/subscription-filter';
import {
  constrainsDocument,
  constrainsIncidents,
  eventTypeAllowed,
  incidentMatchesConstraint,
} from './incident-constraint';
import type { LabelMatcher } from './label-matchers';
import type { SubscriptionFiltersDto } from './subscription-filters';
import { prng } from '../../test/support/prng';

const SOURCES = ['prometheus', 'siem', 'manual'];
const RESOURCES = ['db', 'api', 'vpn', 'cache'];
const LABEL_KEYS = ['env', 'team'];
const LABEL_VALUES = ['prod', 'dev', 'sre'];
const IDS = [randomUUID(), randomUUID(), randomUUID()];
const MATCHERS: LabelMatcher[] = [
  { name: 'env', op: '=', value: 'prod' },
  { name: 'env', op: '!=', value: 'dev' },
  { name: 'team', op: '=~', value: 'sre|db' },
  { name: 'team', op: '!~', value: 'p.*' },
  { name: 'env', op: '=~', value: '' },
];

/** What the WebSocket delivers of this incident's incident_created to a subscription with these filters. */
function deliveredOnWebSocket(filters: SubscriptionFiltersDto, incident: Incident): boolean {
  const filter = SubscriptionFilter.from(filters);
  const event = { event_type: 'incident_created' as const, incident };
  return filter.matches(matchSubjectOf(event, incident));
}

describe('incidentMatchesConstraint', () => {
  it('agrees with the WebSocket subscription filter on 20,000 random incidents and constraints', () => {
    const random = prng(20261202);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
    const someOf = <T>(values: readonly T[]): T[] =>
      random() < 0.5 ? [] : values.filter(() => random() < 0.4);
    let matched = 0;
    for (let round = 0; round < 400; round++) {
      const labels: Record<string, string> = {};
      for (const key of LABEL_KEYS) if (random() < 0.25) labels[key] = pick(LABEL_VALUES);
      const constraint: SubscriptionFiltersDto = {
        severities: someOf(SEVERITIES),
        states: someOf(INCIDENT_STATES),
        sources: someOf(SOURCES),
        affected_resources: someOf(RESOURCES),
        labels,
        // Spelt in either case: both compare ids lowercase.
        incident_ids: someOf(IDS).map((id) => (random() < 0.5 ? id.toUpperCase() : id)),
        label_matchers: someOf(MATCHERS),
      };
      if (random() < 0.3) constraint.min_severity = pick(SEVERITIES);
      for (let i = 0; i < 50; i++) {
        const incidentLabels: Record<string, string> = {};
        for (const key of LABEL_KEYS) if (random() < 0.6) incidentLabels[key] = pick(LABEL_VALUES);
        const incident = makeIncident({
          id: pick(IDS),
          severity: pick(SEVERITIES),
          state: pick(INCIDENT_STATES),
          source: pick(SOURCES),
          affected_resources: RESOURCES.filter(() => random() < 0.35),
          labels: incidentLabels,
        });
        const expected = deliveredOnWebSocket(constraint, incident);
        expect([round, i, incidentMatchesConstraint(incident, constraint)]).toEqual([round, i, expected]);
        if (expected) matched += 1;
      }
    }
    // Not vacuous: both outcomes occur often.
    expect(matched).toBeGreaterThan(1000);
    expect(matched).toBeLessThan(19000);
  });

  it('does not let an inherited property satisfy a label pair', () => {
    expect(incidentMatchesConstraint(makeIncident(), { labels: { constructor: 'x' } })).toBe(false);
  });

  it('leaves event types to the event log', () => {
    const incident = makeIncident();
    const constraint = { event_types: ['comment_added' as const] };
    expect(incidentMatchesConstraint(incident, constraint)).toBe(true);
    expect(constrainsIncidents(constraint)).toBe(false);
    expect(eventTypeAllowed('comment_added', constraint)).toBe(true);
    expect(eventTypeAllowed('incident_created', constraint)).toBe(false);
    expect(eventTypeAllowed('incident_created', {})).toBe(true);
  });

  it('tells which keys only the JSON document holds', () => {
    expect(constrainsDocument({ severities: ['P0'], incident_ids: IDS })).toBe(false);
    expect(constrainsDocument({ labels: {} })).toBe(false);
    expect(constrainsDocument({ label_matchers: [] })).toBe(false);
    expect(constrainsDocument({ labels: { env: 'prod' } })).toBe(true);
    expect(constrainsDocument({ affected_resources: ['db'] })).toBe(true);
    expect(constrainsDocument({ label_matchers: [MATCHERS[0]] })).toBe(true);
    // Not a SQL condition (yet): matched in memory too.
    expect(constrainsDocument({ min_severity: 'P2' })).toBe(true);
  });

  it('applies min_severity: that severity and every more severe one', () => {
    const at = (severity: Incident['severity']) =>
      incidentMatchesConstraint(makeIncident({ severity }), { min_severity: 'P1' });
    expect(SEVERITIES.map(at)).toEqual([true, true, false, false, false]);
    expect(constrainsIncidents({ min_severity: 'P4' })).toBe(true);
  });

  it('applies label matchers, a missing label reading as the empty string', () => {
    const incident = makeIncident({ labels: { env: 'production' } });
    expect(
      incidentMatchesConstraint(incident, { label_matchers: [{ name: 'env', op: '=~', value: 'prod.*' }] }),
    ).toBe(true);
    expect(
      incidentMatchesConstraint(incident, { label_matchers: [{ name: 'env', op: '=~', value: 'prod' }] }),
    ).toBe(false);
    expect(
      incidentMatchesConstraint(incident, { label_matchers: [{ name: 'team', op: '!=', value: 'db' }] }),
    ).toBe(true);
    expect(constrainsIncidents({ label_matchers: [{ name: 'team', op: '!=', value: 'db' }] })).toBe(true);
  });

  it('matches nothing with label matchers that do not compile (a token minted with them), never everything', () => {
    const incident = makeIncident({ labels: { env: 'prod' } });
    expect(
      incidentMatchesConstraint(incident, { label_matchers: [{ name: 'env', op: '!~', value: '(' }] }),
    ).toBe(false);
  });
});
