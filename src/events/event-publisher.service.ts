import { Injectable, OnApplicationShutdown, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Incident } from '../domain';
import { DatabaseService } from '../storage/database.service';
import type { Tx } from '../storage/database.types';
import { BroadcasterService } from './broadcaster.service';
import type { EventEnvelope } from './event-envelope';
import { priorityOf } from './event-priority';
import { EventLogRepository } from './event-log.repository';
import type { DomainEvent } from './event.types';
import { SerialQueue } from './serial-queue';

/** Collects the events of one unit of work; they are stored with it and published only after it commits. */
export interface EventRecorder {
  /**
   * Records an event. `incident` is the incident the event concerns, as it is after the change (null if none);
   * the streaming filter matches incident-scoped events against it.
   */
  record(event: DomainEvent, incident: Incident | null): void;
}

interface PendingEvent {
  id: string;
  event: DomainEvent;
  incident: Incident | null;
  timestamp: string;
}

/**
 * The one way to change domain state: `run(work)` executes `work` in a database transaction, appends the events it
 * recorded to the event log in that same transaction, commits, then publishes them through the broadcaster.
 * Nothing is published for a change that was not stored. Units of work are serialized in-process so that the
 * log sequence order is the publish order.
 */
@Injectable()
export class EventPublisher implements OnApplicationShutdown {
  private readonly queue = new SerialQueue();
  private closed = false;

  constructor(
    private readonly database: DatabaseService,
    private readonly eventLog: EventLogRepository,
    private readonly broadcaster: BroadcasterService,
  ) {}

  run<T>(work: (tx: Tx, events: EventRecorder) => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new ServiceUnavailableException('Server is shutting down'));
    return this.queue.push(async () => {
      const pending: PendingEvent[] = [];
      const recorder: EventRecorder = {
        record: (event, incident) =>
          pending.push({ id: randomUUID(), event, incident, timestamp: new Date().toISOString() }),
      };
      let sequences: number[] = [];
      const result = await this.database.db.transaction().execute(async (tx) => {
        const value = await work(tx, recorder);
        sequences = await this.eventLog.append(
          tx,
          pending.map((p) => ({
            id: p.id,
            event: p.event,
            incidentId: p.incident?.id ?? incidentIdOf(p.event),
            createdAt: p.timestamp,
          })),
        );
        return value;
      });
      const publishedAt = performance.now();
      pending.forEach((p, i) => {
        const envelope: EventEnvelope = {
          id: p.id,
          sequence: sequences[i],
          timestamp: p.timestamp,
          event: p.event,
          priority: priorityOf(p.event),
          incident: p.incident,
          publishedAt,
        };
        this.broadcaster.publish(envelope);
      });
      return result;
    });
  }

  /**
   * Runs after the HTTP server has stopped and finished its in-flight requests, and before the database closes
   * (global modules shut down last): lets every queued unit of work commit, then refuses new ones.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.queue.drain();
    this.closed = true;
  }
}

function incidentIdOf(event: DomainEvent): string | null {
  if ('incident_id' in event && typeof event.incident_id === 'string') return event.incident_id;
  if ('incident' in event) return event.incident.id;
  if ('alert' in event) return event.alert.incident_id;
  return null;
}
