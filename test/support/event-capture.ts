import type { INestApplication } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { BroadcasterService } from '../../src/events/broadcaster.service';
import type { EventEnvelope } from '../../src/events/event-envelope';

/** Records every envelope the app publishes, in order, from the moment it is created. */
export class EventCapture {
  readonly envelopes: EventEnvelope[] = [];
  private readonly subscription: Subscription;

  constructor(app: INestApplication) {
    this.subscription = app
      .get(BroadcasterService)
      .events$.subscribe((envelope) => this.envelopes.push(envelope));
  }

  get types(): string[] {
    return this.envelopes.map((e) => e.event.event_type);
  }

  clear(): void {
    this.envelopes.length = 0;
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}
