import type { INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Alert, Incident } from '../../src/domain';
import { EventPublisher } from '../../src/events/event-publisher.service';
import type { DomainEvent } from '../../src/events/event.types';

/** Publishes one event through the real publisher (stored in the event log, then broadcast), as a producer would. */
export async function publish(
  app: INestApplication,
  event: DomainEvent,
  incident: Incident | null,
): Promise<void> {
  await app.get(EventPublisher).run((_tx, events) => {
    events.record(event, incident);
    return Promise.resolve();
  });
}

/** Publishes events in one unit of work (one commit, published back to back in one turn). */
export async function publishAll(
  app: INestApplication,
  entries: readonly { event: DomainEvent; incident: Incident | null }[],
): Promise<void> {
  await app.get(EventPublisher).run((_tx, events) => {
    for (const { event, incident } of entries) events.record(event, incident);
    return Promise.resolve();
  });
}

export function makeIncident(overrides: Partial<Incident> = {}): Incident {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    created_at: now,
    updated_at: now,
    state: 'Detected',
    severity: 'P2',
    incident_type: 'Application',
    source: 'prometheus',
    title: 'incident',
    description: '',
    affected_resources: [],
    labels: {},
    related_incidents: [],
    active_playbook: null,
    resolution: null,
    timeline: [],
    assignees: [],
    notes: [],
    fingerprint: null,
    correlation_score: null,
    ...overrides,
  };
}

export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    external_id: randomUUID(),
    source: 'prometheus',
    timestamp: now,
    received_at: now,
    severity: 'P2',
    alert_type: 'Application',
    title: 'alert',
    description: '',
    labels: {},
    affected_services: [],
    runbook_url: null,
    annotations: {},
    incident_id: null,
    deduplicated: false,
    parent_alert_id: null,
    ...overrides,
  };
}

export function systemEvent(message: string, metadata: Record<string, string> = {}): DomainEvent {
  return { event_type: 'system_event', category: 'test', message, metadata };
}
