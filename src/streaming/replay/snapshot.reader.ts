import { Injectable } from '@nestjs/common';
import type { Incident } from '../../domain';
import { incidentSubject } from '../../events/match-subject';
import { IncidentsRepository, IncidentQuery, ScanCursor } from '../../incidents/incidents.repository';
import type { SubscriptionFilter } from '../routing/subscription-filter';

/** Active incidents read per query while filling a snapshot. */
const SCAN_PAGE = 500;

const ACTIVE_INCIDENTS: IncidentQuery = {
  page: 0,
  pageSize: SCAN_PAGE,
  activeOnly: true,
  states: [],
  severities: [],
  sources: [],
};

/**
 * The active incidents a subscription's filters match (its credential's constraint included), newest first, at
 * most `limit`, and whether more matched. Matched with the subscription's own filter, so a snapshot holds exactly
 * the incidents whose events the subscription receives. Runs at a quiescent point (EventPublisher), so it reads one
 * consistent state.
 */
@Injectable()
export class SnapshotReader {
  constructor(private readonly incidents: IncidentsRepository) {}

  async read(
    filter: SubscriptionFilter,
    limit: number,
  ): Promise<{ incidents: Incident[]; truncated: boolean }> {
    const matched: Incident[] = [];
    let cursor: ScanCursor | null = null;
    for (;;) {
      const page = await this.incidents.scan(ACTIVE_INCIDENTS, cursor, SCAN_PAGE);
      for (const incident of page) {
        if (!filter.matches(incidentSubject(incident))) continue;
        if (matched.length === limit) return { incidents: matched, truncated: true };
        matched.push(incident);
      }
      if (page.length < SCAN_PAGE) return { incidents: matched, truncated: false };
      const last = page[page.length - 1];
      cursor = { createdAt: last.created_at, id: last.id };
    }
  }
}
