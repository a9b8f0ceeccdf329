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
import type { SubscriptionFiltersDto } from './subscription-filters';
import { prng } from '../../test/support/prng';

const SOURCES = ['prometheus', 'siem', 'manual'];
const RESOURCES = ['db', 'api', 'vpn', 'cache'];
const LABEL_KEYS = ['env', 'team'];
const LABEL_VALUES = ['prod', 'dev', 'sre'];
const IDS = [randomUUID(), randomUUID(), randomUUID()];

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
      };
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
    expect(constrainsDocument({ labels: { env: 'prod' } })).toBe(true);
    expect(constrainsDocument({ affected_resources: ['db'] })).toBe(true);
  });
});
