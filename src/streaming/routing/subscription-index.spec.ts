import { SubscriptionFilter } from './subscription-filter';
import { Routable, RouteGroup, SubscriptionIndex } from './subscription-index';

type Subscriber = { name: string } & Routable;

const filter = (dto: Parameters<typeof SubscriptionFilter.from>[0]) => SubscriptionFilter.from(dto);

function groups(index: SubscriptionIndex<Subscriber>, type: Parameters<typeof index.groupsOf>[0]) {
  return [...index.groupsOf(type)].map((g: RouteGroup<Subscriber>) => ({
    filters: g.filters.length,
    members: [...g.members].map((m) => m.name).sort(),
  }));
}

describe('SubscriptionIndex', () => {
  let a: Subscriber;
  let b: Subscriber;
  let c: Subscriber;
  beforeEach(() => {
    a = { name: 'a', routeKeys: null };
    b = { name: 'b', routeKeys: null };
    c = { name: 'c', routeKeys: null };
  });

  it('groups subscribers with the same filters for a type, whatever the order of list items', () => {
    const index = new SubscriptionIndex<Subscriber>();
    index.update(a, [filter({ severities: ['P0', 'P1'] })]);
    index.update(b, [filter({ severities: ['P1', 'P0'] })]);
    index.update(c, [filter({ severities: ['P2'] })]);
    expect(groups(index, 'incident_created')).toEqual([
      { filters: 1, members: ['a', 'b'] },
      { filters: 1, members: ['c'] },
    ]);
  });

  it('puts a subscriber in one group per type, with all its subscriptions that accept the type', () => {
    const index = new SubscriptionIndex<Subscriber>();
    index.update(a, [filter({ event_types: ['comment_added'] }), filter({ severities: ['P0'] }), filter({})]);
    expect(groups(index, 'comment_added')).toEqual([{ filters: 3, members: ['a'] }]);
    expect(groups(index, 'incident_created')).toEqual([{ filters: 2, members: ['a'] }]);
  });

  it('leaves out types that no subscription accepts (the early cut) and forgets empty groups', () => {
    const index = new SubscriptionIndex<Subscriber>();
    index.update(a, [filter({ event_types: ['escalated'] })]);
    expect(index.hasSubscribers('escalated')).toBe(true);
    expect(index.hasSubscribers('incident_created')).toBe(false);
    index.update(a, [filter({ event_types: ['comment_added'] })]);
    expect(index.hasSubscribers('escalated')).toBe(false);
    index.remove(a);
    expect(index.hasSubscribers('comment_added')).toBe(false);
  });

  it('keeps the route keys on the subscriber itself and clears them when it routes nothing', () => {
    const index = new SubscriptionIndex<Subscriber>();
    index.update(a, [filter({ event_types: ['escalated'] })]);
    expect(a.routeKeys?.filter((k) => k !== undefined)).toHaveLength(1);
    index.update(a, []);
    expect(a.routeKeys).toBeNull();
    expect(index.hasSubscribers('escalated')).toBe(false);
  });
});
