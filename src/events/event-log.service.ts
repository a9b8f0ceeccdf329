import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/api-error';
import {
  IncidentConstraint,
  constrainsIncidents,
  eventTypeAllowed,
  incidentMatchesConstraint,
} from '../common/incident-constraint';
import { EventType } from './event.types';
import { EntryWithIncident, EventLogRepository, StoredLogEntry } from './event-log.repository';

/** Entries read per query when a constrained reader's page is filled in memory. */
const SCAN_BATCH = 500;

/**
 * Reading the persistent event log: a client that reconnects asks for everything after the last `sequence` it
 * saw, so a dropped connection loses nothing. (Writing it is EventPublisher's job.)
 */
@Injectable()
export class EventLogService {
  constructor(private readonly log: EventLogRepository) {}

  /**
   * Entries after `afterSequence`, oldest first, at most `limit`; only one incident's with `incidentId`. With a
   * constraint, only entries of an allowed type whose incident, as it is now, lies inside it; a `system_event`
   * (no incident) passes on its type alone, as on the WebSocket. One incident's log is 404 when the incident is
   * missing or outside, so that the two cannot be told apart.
   */
  async list(
    query: { afterSequence: number; limit: number; incidentId?: string },
    constraint: IncidentConstraint | null = null,
  ): Promise<StoredLogEntry[]> {
    if (constraint === null) return this.log.list(query);
    if (query.incidentId !== undefined) {
      const incident = await this.log.incident(query.incidentId);
      if (!incident || !incidentMatchesConstraint(incident, constraint)) {
        throw new NotFoundError(`Incident ${query.incidentId}`);
      }
    }
    // The rows SQL lets through are filtered again here (labels, resources, entries without an incident), so a
    // page is filled from as many batches as it takes: a narrow constraint over a long log reads more of it.
    const visible: StoredLogEntry[] = [];
    let after = query.afterSequence;
    for (;;) {
      const rows = await this.log.listWithIncidents({
        afterSequence: after,
        incidentId: query.incidentId,
        limit: SCAN_BATCH,
        constraint,
      });
      for (const row of rows) {
        if (!isVisible(row, constraint)) continue;
        visible.push(row.entry);
        if (visible.length === query.limit) return visible;
      }
      if (rows.length < SCAN_BATCH) return visible;
      after = rows[rows.length - 1].entry.sequence;
    }
  }
}

function isVisible({ entry, incident }: EntryWithIncident, constraint: IncidentConstraint): boolean {
  if (!eventTypeAllowed(entry.event_type, constraint)) return false;
  if (incident !== null) return incidentMatchesConstraint(incident, constraint);
  // No incident to match: a system event passes (the WebSocket lets it through every subscription); anything
  // else only when the constraint says nothing about incidents.
  return entry.event_type === EventType.SystemEvent || !constrainsIncidents(constraint);
}
