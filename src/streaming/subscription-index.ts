import { Injectable } from '@nestjs/common';
import { EVENT_TYPES, EventType } from '../events/event.types';
import type { SubscriptionFilter } from './subscription-filter';

/** Position of each event type in per-type arrays. */
export const EVENT_TYPE_INDEX = Object.fromEntries(EVENT_TYPES.map((type, i) => [type, i])) as Record<
  EventType,
  number
>;

/** Something that holds subscriptions; the index stores on it, per event type, the filters that accept that type. */
export interface Subscriber {
  routes: readonly (readonly SubscriptionFilter[] | undefined)[];
}

export const NO_ROUTES: readonly (readonly SubscriptionFilter[] | undefined)[] = Object.freeze([]);

/**
 * The early cut of the fan-out: for each event type, the subscribers with at least one subscription that accepts
 * it. A published event only visits those, and on each only the filters that accept its type.
 */
@Injectable()
export class SubscriptionIndex<T extends Subscriber = Subscriber> {
  private readonly byType: Set<T>[] = EVENT_TYPES.map(() => new Set<T>());

  /** Re-indexes a subscriber after its set of subscriptions changed. */
  update(subscriber: T, filters: Iterable<SubscriptionFilter>): void {
    const all = [...filters];
    if (all.length === 0) {
      this.remove(subscriber);
      return;
    }
    const routes = EVENT_TYPES.map((type) => {
      const accepting = all.filter((f) => f.acceptsType(type));
      return accepting.length === 0 ? undefined : accepting;
    });
    routes.forEach((accepting, i) => {
      if (accepting === undefined) this.byType[i].delete(subscriber);
      else this.byType[i].add(subscriber);
    });
    subscriber.routes = routes;
  }

  remove(subscriber: T): void {
    for (const set of this.byType) set.delete(subscriber);
    subscriber.routes = NO_ROUTES;
  }

  subscribersOf(type: EventType): ReadonlySet<T> {
    return this.byType[EVENT_TYPE_INDEX[type]];
  }
}
