import { Injectable } from '@nestjs/common';
import { EVENT_TYPES, EventType } from '../../events/event.types';
import type { SubscriptionFilter } from './subscription-filter';

/** Position of each event type in per-type arrays. */
export const EVENT_TYPE_INDEX = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, i])) as Record<
  EventType,
  number
>;

/** A subscriber's group key for each event type (undefined: no subscription of it accepts the type). */
export type RouteKeys = readonly (string | undefined)[];

/** What the index needs of a subscriber: a place to keep its own route keys (the index keeps no per-subscriber map). */
export interface Routable {
  routeKeys: RouteKeys | null;
}

/** Subscribers whose subscriptions accepting one event type are the same filters: matched once per event. */
export interface RouteGroup<T> {
  /** The distinct filters (OR-ed) of the members' subscriptions that accept the type. */
  readonly filters: readonly SubscriptionFilter[];
  readonly members: Set<T>;
}

/**
 * The fan-out's routing table. For each event type it holds groups of subscribers: a subscriber is in the group of
 * the filters its subscriptions accept that type with (at most one group per type, so it gets at most one copy),
 * and is absent for a type no subscription of it accepts (the early cut by type). Subscribers with identical
 * filters, the common case, share a group, so an event is matched once per distinct filter set rather than once
 * per connection. Each subscriber carries its own route keys, so that its state lives with it.
 */
@Injectable()
export class SubscriptionIndex<T extends Routable = Routable> {
  private readonly byType: Map<string, RouteGroup<T>>[] = EVENT_TYPES.map(
    () => new Map<string, RouteGroup<T>>(),
  );
  /** Re-routes a subscriber after its set of subscriptions changed. */
  update(subscriber: T, filters: Iterable<SubscriptionFilter>): void {
    const all = [...filters];
    const previous = subscriber.routeKeys;
    const keys = EVENT_TYPES.map((type, i) => {
      const accepting = all.filter((f) => f.acceptsType(type));
      const key = accepting.length === 0 ? undefined : groupKey(accepting);
      const previousKey = previous?.[i];
      if (key === previousKey) return key;
      if (previousKey !== undefined) this.leave(i, previousKey, subscriber);
      if (key !== undefined) this.join(i, key, accepting, subscriber);
      return key;
    });
    subscriber.routeKeys = keys.every((k) => k === undefined) ? null : keys;
  }

  remove(subscriber: T): void {
    this.update(subscriber, []);
  }

  /** The groups to visit for an event of this type. */
  groupsOf(type: EventType): Iterable<RouteGroup<T>> {
    return this.byType[EVENT_TYPE_INDEX[type]].values();
  }

  /** Whether any subscriber accepts this event type. */
  hasSubscribers(type: EventType): boolean {
    return this.byType[EVENT_TYPE_INDEX[type]].size > 0;
  }

  private join(typeIndex: number, key: string, filters: SubscriptionFilter[], subscriber: T): void {
    const groups = this.byType[typeIndex];
    let group = groups.get(key);
    if (group === undefined) {
      group = { filters: distinct(filters), members: new Set() };
      groups.set(key, group);
    }
    group.members.add(subscriber);
  }

  private leave(typeIndex: number, key: string, subscriber: T): void {
    const groups = this.byType[typeIndex];
    const group = groups.get(key);
    if (group === undefined) return;
    group.members.delete(subscriber);
    if (group.members.size === 0) groups.delete(key);
  }
}

function groupKey(filters: readonly SubscriptionFilter[]): string {
  return [...new Set(filters.map((f) => f.key))].sort().join('\n');
}

function distinct(filters: readonly SubscriptionFilter[]): SubscriptionFilter[] {
  const byKey = new Map<string, SubscriptionFilter>();
  for (const filter of filters) if (!byKey.has(filter.key)) byKey.set(filter.key, filter);
  return [...byKey.values()];
}
