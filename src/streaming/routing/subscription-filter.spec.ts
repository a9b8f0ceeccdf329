import { randomUUID } from 'node:crypto';
import { EventPriority } from '../../events/event-priority';
import type { EventEnvelope } from '../../events/event-envelope';
import type { DomainEvent } from '../../events/event.types';
import type { Incident } from '../../domain';
import type { SubscriptionFiltersDto } from '../protocol/client-messages.dto';
import { makeIncident } from '../../../test/support/fixtures';
import { SubscriptionFilter, matchSubjectOf } from './subscription-filter';

/** The incident these cases match against. */
const incident = (overrides: Partial<Incident> = {}): Incident =>
  makeIncident({
    severity: 'P1',
    incident_type: 'Security',
    source: 'siem',
    affected_resources: ['vpn'],
    labels: { env: 'prod' },
    ...overrides,
  });

function envelope(event: DomainEvent, concerned: Incident | null): EventEnvelope {
  return {
    id: randomUUID(),
    sequence: 1,
    timestamp: '',
    event,
    eventJson: JSON.stringify(event),
    priority: EventPriority.Normal,
    incident: concerned,
    publishedAt: 0,
  };
}

function matches(filters: SubscriptionFiltersDto, env: EventEnvelope): boolean {
  const filter = SubscriptionFilter.from(filters);
  return filter.acceptsType(env.event.event_type) && filter.matches(matchSubjectOf(env));
}

describe('SubscriptionFilter', () => {
  const inc = incident();
  const created = envelope({ event_type: 'incident_created', incident: inc }, inc);

  it('echoes every key, lowercasing incident ids', () => {
    const id = randomUUID();
    expect(SubscriptionFilter.from({ incident_ids: [id.toUpperCase()] }).echo).toEqual({
      event_types: [],
      severities: [],
      states: [],
      sources: [],
      affected_resources: [],
      labels: {},
      incident_ids: [id],
    });
  });

  it('matches an incident event on each key', () => {
    expect(matches({}, created)).toBe(true);
    expect(matches({ severities: ['P1'] }, created)).toBe(true);
    expect(matches({ severities: ['P0'] }, created)).toBe(false);
    expect(matches({ states: ['Detected'], sources: ['siem'] }, created)).toBe(true);
    expect(matches({ affected_resources: ['db', 'vpn'] }, created)).toBe(true);
    expect(matches({ labels: { env: 'prod' } }, created)).toBe(true);
    expect(matches({ labels: { env: 'prod', team: 'x' } }, created)).toBe(false);
    expect(matches({ incident_ids: [inc.id] }, created)).toBe(true);
  });

  it('does not let an inherited property satisfy a label pair', () => {
    expect(matches({ labels: { constructor: 'x' } }, created)).toBe(false);
  });

  it('matches an incident-scoped event whose incident is unknown only on keys that do not ask about it', () => {
    const comment = envelope(
      { event_type: 'comment_added', incident_id: inc.id, author: 'a', comment: 'c', timestamp: '' },
      null,
    );
    expect(matches({ incident_ids: [inc.id] }, comment)).toBe(true);
    expect(matches({ severities: ['P1'] }, comment)).toBe(false);
  });

  it('filters a system event by type only', () => {
    const system = envelope({ event_type: 'system_event', category: 'c', message: 'm', metadata: {} }, null);
    expect(matches({ severities: ['P0'], labels: { a: 'b' } }, system)).toBe(true);
    expect(matches({ event_types: ['incident_created'] }, system)).toBe(false);
  });
});
