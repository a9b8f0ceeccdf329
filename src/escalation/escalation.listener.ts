import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { BroadcasterService } from '../events/broadcaster.service';
import type { EventEnvelope } from '../events/event-envelope';
import { EventType } from '../events/event.types';
import type { Incident } from '../domain';
import { ESCALATION_ACTOR, EscalationEngine } from './escalation.engine';

/**
 * Feeds incident events to the escalation engine: a created incident gets its policy, a changed severity chooses
 * it again, a changed state may stop it.
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

  private onEvent({ event, incident, previous }: EventEnvelope): void {
    if (!incident) return;
    switch (event.event_type) {
      case EventType.IncidentCreated:
        this.escalation.incidentCreated(incident);
        return;
      case EventType.IncidentUpdated:
        if (event.previous_state === 'Resolved' && incident.state === 'Detected') {
          this.escalation.incidentReopened(incident);
          return;
        }
        if (previous !== null && previous.severity !== incident.severity && !raisedByEscalation(incident)) {
          this.escalation.incidentSeverityChanged(incident);
        }
        this.escalation.incidentChanged(incident);
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

/**
 * Whether the incident's latest severity change was made by the escalation engine itself (a level's
 * `raise_to_severity`): the policy that raised it goes on with its next levels, written for the raised severity,
 * rather than being chosen again (which would stop a P1 policy the moment its own level raised the incident to P0).
 */
function raisedByEscalation(incident: Incident): boolean {
  for (let i = incident.timeline.length - 1; i >= 0; i--) {
    const entry = incident.timeline[i];
    if (entry.event_type === 'SeverityChanged') return entry.actor === ESCALATION_ACTOR;
  }
  return false;
}
