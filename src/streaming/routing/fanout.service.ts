import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Subscription } from 'rxjs';
import { BroadcasterService } from '../../events/broadcaster.service';
import type { EventEnvelope } from '../../events/event-envelope';
import { FlushScheduler } from '../connections/flush-scheduler';
import { OutboundFrame, eventFrame } from '../transport/outbound-frame';
import type { StreamConnection } from '../connections/stream-connection';
import { StreamMetrics } from '../stream-metrics';
import type { MatchSubjects } from '../../events/match-subject';
import type { SubscriptionFilter } from './subscription-filter';
import { SubscriptionIndex } from './subscription-index';

/**
 * Fans every published event out to the connections it matches: visits only the route groups of its type, matches
 * each group's filters once, queues ONE copy per member connection however many of its subscriptions match, and
 * serializes the event once, lazily, for all of them. Events are handled synchronously in publish order, so each
 * connection's queue is in publish order; the writes happen at the end of the turn (FlushScheduler).
 */
@Injectable()
export class FanoutService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Streaming');
  private subscription: Subscription | null = null;

  constructor(
    private readonly broadcaster: BroadcasterService,
    private readonly index: SubscriptionIndex<StreamConnection>,
    private readonly flushes: FlushScheduler,
    private readonly metrics: StreamMetrics,
  ) {}

  onModuleInit(): void {
    this.subscription = this.broadcaster.events$.subscribe((envelope) => this.dispatch(envelope));
    // A commit's events are written as soon as they are all queued, in the group commit's own turn.
    this.subscription.add(this.broadcaster.commitPublished$.subscribe(() => this.flushes.flushPending()));
  }

  // Not onModuleDestroy: the shutdown `system_event` is published after that and must still reach the clients.
  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  dispatch(envelope: EventEnvelope): void {
    try {
      const type = envelope.event.event_type;
      this.metrics.eventPublished(type);
      if (!this.index.hasSubscribers(type)) return;
      const subjects = envelope.subjects;
      let frame: OutboundFrame | null = null;
      for (const group of this.index.groupsOf(type)) {
        if (!anyMatches(group.filters, subjects)) continue;
        frame ??= eventFrame(envelope);
        for (const connection of group.members) connection.deliver(frame);
      }
      if (frame !== null) this.flushes.eventQueued();
    } catch (error) {
      // An exception must not escape into the broadcaster's subscriber chain (RxJS would rethrow it later).
      this.logger.error(
        `fan-out of event ${envelope.sequence} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
}

function anyMatches(filters: readonly SubscriptionFilter[], subjects: MatchSubjects): boolean {
  for (let i = 0; i < filters.length; i++) if (filters[i].matchesEvent(subjects)) return true;
  return false;
}
