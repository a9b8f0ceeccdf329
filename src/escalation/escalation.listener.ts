import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { BroadcasterService } from '../events/broadcaster.service';
import type { EventEnvelope } from '../events/event-envelope';
import { EventType } from '../events/event.types';
import { EscalationEngine } from './escalation.engine';

/**
 * Feeds incident events to the escalation engine: a created incident gets its policy, a changed one may stop it.
 * The engine only queues work here; nothing in this callback waits or throws into the event stream.
 */
@Injectable()
export class EscalationListener implements OnModuleInit, OnModuleDestroy {
  private subscription?: Subscription;

  constructor(
    private readonly broadcaster: BroadcasterService,
    private readonly escalation: EscalationEngine,
  ) {}

  onModuleInit(): void {
    this.subscription = this.broadcaster.listen('EscalationListener', (envelope) => this.onEvent(envelope));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private onEvent({ event, incident }: EventEnvelope): void {
    if (!incident) return;
    switch (event.event_type) {
      case EventType.IncidentCreated:
        this.escalation.incidentCreated(incident);
        return;
      case EventType.IncidentUpdated:
        if (event.previous_state === 'Resolved' && incident.state === 'Detected') {
          this.escalation.incidentReopened(incident);
        } else {
          this.escalation.incidentChanged(incident);
        }
        return;
      case EventType.IncidentResolved:
      case EventType.IncidentClosed:
        this.escalation.incidentChanged(incident);
        return;
      default:
        return;
    }
  }
}
