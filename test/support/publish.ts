import type { INestApplication } from '@nestjs/common';
import type { Incident } from '../../src/domain';
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

export function systemEvent(message: string, metadata: Record<string, string> = {}): DomainEvent {
  return { event_type: 'system_event', category: 'test', message, metadata };
}
