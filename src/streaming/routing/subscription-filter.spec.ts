import { randomUUID } from 'node:crypto';
import { EventPriority } from '../../events/event-priority';
import type { EventEnvelope } from '../../events/event-envelope';
import type { DomainEvent } from '../../events/event.types';
import type { Incident } from '../../domain';
import type { LabelMatcher } from '../../common/label-matchers';
import type { SubscriptionFiltersDto } from '../../common/subscription-filters';
import { makeIncident } from '../../../test/support/fixtures';
import { matchSubjectsOf } from '../../events/match-subject';
import { SubscriptionFilter } from './subscription-filter';
import { prng } from '../../../test/support/prng';

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
    previous: null,
    subjects: matchSubjectsOf(event, concerned, null),
    publishedAt: 0,
  };
}

function matches(filters: SubscriptionFiltersDto, env: EventEnvelope): boolean {
  const filter = SubscriptionFilter.from(filters);
  return filter.acceptsType(env.event.event_type) && filter.matchesEvent(env.subjects);
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
      label_matchers: [],
      min_severity: null,
    });
  });

  it('echoes label matchers as sent and min_severity', () => {
    const label_matchers: LabelMatcher[] = [{ name: 'env', op: '=~', value: 'prod.*' }];
    expect(SubscriptionFilter.from({ label_matchers, min_severity: 'P2' }).echo).toMatchObject({
      severities: [],
      label_matchers,
      min_severity: 'P2',
    });
  });

  it('matches label matchers against an incident event, a missing label reading as the empty string', () => {
    const m = (...label_matchers: LabelMatcher[]) => matches({ label_matchers }, created);
    expect(m({ name: 'env', op: '=', value: 'prod' })).toBe(true);
    expect(m({ name: 'env', op: '=~', value: 'pr.*' })).toBe(true);
    expect(m({ name: 'env', op: '=~', value: 'pr' })).toBe(false);
    expect(m({ name: 'env', op: '!~', value: 'dev|staging' })).toBe(true);
    expect(m({ name: 'team', op: '=', value: '' })).toBe(true);
    expect(m({ name: 'team', op: '!=', value: 'db' })).toBe(true);
    expect(m({ name: 'team', op: '=~', value: '.+' })).toBe(false);
    expect(m({ name: 'env', op: '=', value: 'prod' }, { name: 'team', op: '=~', value: '.+' })).toBe(false);
  });

  it('matches label matchers against an alert event (the alert labels)', () => {
    const alertEvent = envelope(
      {
        event_type: 'alert_received',
        alert: {
          id: randomUUID(),
          external_id: 'x',
          source: 'siem',
          timestamp: '',
          received_at: '',
          severity: 'P3',
          alert_type: 'Security',
          title: 't',
          description: '',
          labels: { env: 'staging' },
          affected_services: [],
          runbook_url: null,
          annotations: {},
          incident_id: null,
          deduplicated: false,
          parent_alert_id: null,
        },
      },
      null,
    );
    expect(matches({ label_matchers: [{ name: 'env', op: '=~', value: 'stag.*' }] }, alertEvent)).toBe(true);
    expect(matches({ label_matchers: [{ name: 'env', op: '=', value: 'prod' }] }, alertEvent)).toBe(false);
    expect(matches({ min_severity: 'P3' }, alertEvent)).toBe(true);
    expect(matches({ min_severity: 'P2' }, alertEvent)).toBe(false);
  });

  it('matches min_severity: that severity and every more severe one', () => {
    const at = (severity: Incident['severity'], filters: SubscriptionFiltersDto): boolean => {
      const i = incident({ severity });
      return matches(filters, envelope({ event_type: 'incident_created', incident: i }, i));
    };
    expect((['P0', 'P1', 'P2', 'P3', 'P4'] as const).map((sev) => at(sev, { min_severity: 'P2' }))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    // AND-ed with severities: P1 and P3 asked, at least P2 -> P1 only.
    expect(at('P1', { min_severity: 'P2', severities: ['P1', 'P3'] })).toBe(true);
    expect(at('P3', { min_severity: 'P2', severities: ['P1', 'P3'] })).toBe(false);
    // Nothing can hold both: matches nothing.
    expect(at('P0', { min_severity: 'P1', severities: ['P3'] })).toBe(false);
    expect(at('P3', { min_severity: 'P1', severities: ['P3'] })).toBe(false);
  });

  it('groups filters that match the same events: min_severity with its severities, matchers in any order', () => {
    const key = (filters: SubscriptionFiltersDto) => SubscriptionFilter.from(filters).key;
    expect(key({ min_severity: 'P1' })).toBe(key({ severities: ['P1', 'P0'] }));
    expect(key({ min_severity: 'P4' })).not.toBe(key({}));
    // An impossible severity condition (matches nothing) is not the absent one (matches everything).
    expect(key({ min_severity: 'P0', severities: ['P3'] })).not.toBe(key({}));
    const a: LabelMatcher = { name: 'env', op: '=~', value: 'prod.*' };
    const b: LabelMatcher = { name: 'team', op: '!=', value: 'web' };
    expect(key({ label_matchers: [a, b] })).toBe(key({ label_matchers: [b, a, a] }));
    expect(key({ label_matchers: [a] })).not.toBe(key({ label_matchers: [b] }));
    expect(key({ label_matchers: [a] })).not.toBe(key({}));
    expect(key({ label_matchers: [{ ...a, op: '!~' }] })).not.toBe(key({ label_matchers: [a] }));
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

  it('matches label matchers and min_severity of an event whose incident is unknown never (no widening)', () => {
    const comment = envelope(
      { event_type: 'comment_added', incident_id: inc.id, author: 'a', comment: 'c', timestamp: '' },
      null,
    );
    // A missing label would satisfy `team != db`, but the labels are unknown, not missing.
    expect(matches({ label_matchers: [{ name: 'team', op: '!=', value: 'db' }] }, comment)).toBe(false);
    expect(matches({ min_severity: 'P4' }, comment)).toBe(false);
  });

  it('filters a system event by type only', () => {
    const system = envelope({ event_type: 'system_event', category: 'c', message: 'm', metadata: {} }, null);
    expect(
      matches(
        {
          severities: ['P0'],
          labels: { a: 'b' },
          min_severity: 'P0',
          label_matchers: [{ name: 'a', op: '=', value: 'b' }],
        },
        system,
      ),
    ).toBe(true);
    expect(matches({ event_types: ['incident_created'] }, system)).toBe(false);
  });
});

describe('SubscriptionFilter.within (a credential constraint AND-ed in)', () => {
  const EVENT_TYPES = [
    'incident_created',
    'incident_updated',
    'alert_received',
    'comment_added',
    'system_event',
  ];
  const SEVERITIES = ['P0', 'P1', 'P2', 'P3', 'P4'] as const;
  const STATES = ['Detected', 'Investigating', 'Resolved'] as const;
  const SOURCES = ['prometheus', 'siem', 'manual'];
  const RESOURCES = ['db', 'api', 'vpn', 'cache'];
  const LABEL_KEYS = ['env', 'team'];
  const LABEL_VALUES = ['prod', 'dev', 'sre'];
  const INCIDENT_IDS = [randomUUID(), randomUUID(), randomUUID()];
  const MATCHERS: LabelMatcher[] = [
    { name: 'env', op: '=', value: 'prod' },
    { name: 'env', op: '!=', value: 'dev' },
    { name: 'team', op: '=~', value: 'sre|de.*' },
    { name: 'team', op: '!~', value: 'p.*' },
    { name: 'env', op: '=~', value: '' },
  ];

  function someOf<T>(random: () => number, values: readonly T[]): T[] {
    return random() < 0.5 ? [] : values.filter(() => random() < 0.4);
  }

  function randomFilters(random: () => number): SubscriptionFiltersDto {
    const labels: Record<string, string> = {};
    for (const key of LABEL_KEYS) {
      if (random() < 0.25) labels[key] = LABEL_VALUES[Math.floor(random() * LABEL_VALUES.length)];
    }
    return {
      event_types: someOf(random, EVENT_TYPES) as SubscriptionFiltersDto['event_types'],
      severities: someOf(random, SEVERITIES),
      states: someOf(random, STATES),
      sources: someOf(random, SOURCES),
      affected_resources: someOf(random, RESOURCES),
      labels,
      incident_ids: someOf(random, INCIDENT_IDS),
      label_matchers: someOf(random, MATCHERS),
      ...(random() < 0.3 ? { min_severity: SEVERITIES[Math.floor(random() * SEVERITIES.length)] } : {}),
    };
  }

  function randomEvent(random: () => number): EventEnvelope {
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
    const labels: Record<string, string> = {};
    for (const key of LABEL_KEYS) if (random() < 0.6) labels[key] = pick(LABEL_VALUES);
    const subject = incident({
      id: pick(INCIDENT_IDS),
      severity: pick(SEVERITIES),
      state: pick(STATES),
      source: pick(SOURCES),
      affected_resources: RESOURCES.filter(() => random() < 0.35),
      labels,
    });
    switch (pick(EVENT_TYPES)) {
      case 'system_event':
        return envelope({ event_type: 'system_event', category: 'c', message: 'm', metadata: {} }, null);
      case 'comment_added':
        return envelope(
          { event_type: 'comment_added', incident_id: subject.id, author: 'a', comment: 'c', timestamp: '' },
          random() < 0.8 ? subject : null,
        );
      case 'incident_updated':
        return envelope({ event_type: 'incident_updated', incident: subject, previous_state: null }, subject);
      default:
        return envelope({ event_type: 'incident_created', incident: subject }, subject);
    }
  }

  const delivered = (filter: SubscriptionFilter, env: EventEnvelope): boolean =>
    filter.acceptsType(env.event.event_type) && filter.matchesEvent(env.subjects);

  it('delivers exactly what both the subscription and the constraint match (20,000 random cases)', () => {
    const random = prng(20261201);
    let constrainedDeliveries = 0;
    for (let round = 0; round < 400; round++) {
      const asked = SubscriptionFilter.from(randomFilters(random));
      const constraint = SubscriptionFilter.from(randomFilters(random));
      const effective = asked.within(constraint);
      for (let i = 0; i < 50; i++) {
        const env = randomEvent(random);
        const expected = delivered(asked, env) && delivered(constraint, env);
        expect([round, i, delivered(effective, env)]).toEqual([round, i, expected]);
        // The property the credential relies on: nothing outside the constraint, whatever was asked.
        if (delivered(effective, env)) {
          expect(delivered(constraint, env)).toBe(true);
          constrainedDeliveries += 1;
        }
      }
    }
    // The cases are not vacuous: plenty of events do get through.
    expect(constrainedDeliveries).toBeGreaterThan(500);
  });

  it('matches nothing when the two conditions on a key cannot both hold', () => {
    const effective = SubscriptionFilter.from({ severities: ['P0'] }).within(
      SubscriptionFilter.from({ severities: ['P1'] }),
    );
    const inc = incident({ severity: 'P0' });
    expect(delivered(effective, envelope({ event_type: 'incident_created', incident: inc }, inc))).toBe(
      false,
    );
  });

  it('keeps the label matchers and min_severity of both', () => {
    const effective = SubscriptionFilter.from({
      label_matchers: [{ name: 'env', op: '=~', value: 'prod.*' }],
      min_severity: 'P2',
    }).within(
      SubscriptionFilter.from({
        label_matchers: [{ name: 'team', op: '=', value: 'sre' }],
        min_severity: 'P3',
      }),
    );
    const at = (severity: Incident['severity'], labels: Record<string, string>): boolean => {
      const i = incident({ severity, labels });
      return delivered(effective, envelope({ event_type: 'incident_created', incident: i }, i));
    };
    expect(at('P2', { env: 'production', team: 'sre' })).toBe(true);
    expect(at('P3', { env: 'production', team: 'sre' })).toBe(false);
    expect(at('P1', { env: 'production', team: 'db' })).toBe(false);
    expect(at('P1', { env: 'dev', team: 'sre' })).toBe(false);
  });

  it('groups apart from the same filters without the constraint, and echoes what the client asked for', () => {
    const asked = SubscriptionFilter.from({ severities: ['P0', 'P1'] });
    const effective = asked.within(SubscriptionFilter.from({ labels: { team: 'sre' } }));
    expect(effective.key).not.toBe(asked.key);
    expect(effective.echo).toEqual(asked.echo);
  });

  it('shares one compiled filter between equal requests, and one narrowed filter per constraint', () => {
    const asked = SubscriptionFilter.from({ event_types: ['incident_created'], severities: ['P0'] });
    expect(SubscriptionFilter.from({ event_types: ['incident_created'], severities: ['P0'] })).toBe(asked);
    // Another request for the same events echoes differently: its own filter.
    const reordered = SubscriptionFilter.from({ severities: ['P0'], event_types: ['incident_created'] });
    expect(reordered).not.toBe(asked);
    expect(reordered.key).toBe(asked.key);
    const constraint = SubscriptionFilter.from({ labels: { team: 'sre' } });
    expect(asked.within(constraint)).toBe(asked.within(SubscriptionFilter.from({ labels: { team: 'sre' } })));
    expect(asked.within(constraint)).not.toBe(reordered.within(constraint));
  });
});
