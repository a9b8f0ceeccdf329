import { Injectable } from '@nestjs/common';
import type { Incident } from '../../domain';
import { EventLogRepository } from '../../events/event-log.repository';
import { incidentSubject } from '../../events/match-subject';
import { IncidentsRepository, IncidentQuery, ScanCursor } from '../../incidents/incidents.repository';
import { DatabaseService } from '../../storage/database.service';
import type { Executor } from '../../storage/database.types';
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

/** The matching active incidents, newest first, and whether more matched than the limit. */
export interface Snapshot {
  incidents: Incident[];
  truncated: boolean;
}

/**
 * The active incidents a subscription's filters match (its credential's constraint included), newest first, at
 * most `limit`, and whether more matched. Matched with the subscription's own filter, so a snapshot holds exactly
 * the incidents whose events the subscription receives.
 */
@Injectable()
export class SnapshotReader {
  /**
   * Whether `readWithPosition` reads one consistent state of the database itself: on PostgreSQL, where other nodes
   * may commit while this one reads. On SQLite this process is the only writer, and `read` at a quiescent point of
   * the publisher (its writers held back) is consistent and cheaper.
   */
  readonly readsOwnPosition: boolean;

  constructor(
    private readonly incidents: IncidentsRepository,
    private readonly log: EventLogRepository,
    private readonly database: DatabaseService,
  ) {
    this.readsOwnPosition = database.dialect === 'postgres';
  }

  /**
   * The snapshot and the log position it is exact at, read in one REPEATABLE READ transaction: every node appends
   * to the log in the transaction of the change and in commit order (EventPublisher), so the incidents seen are
   * exactly those after the greatest sequence seen, whichever node committed what meanwhile. PostgreSQL only.
   */
  readWithPosition(filter: SubscriptionFilter, limit: number): Promise<Snapshot & { position: number }> {
    return this.database.db
      .transaction()
      .setIsolationLevel('repeatable read')
      .setAccessMode('read only')
      .execute(async (tx) => {
        const position = await this.log.headSequence(tx);
        return { position, ...(await this.read(filter, limit, tx)) };
      });
  }

  async read(filter: SubscriptionFilter, limit: number, executor?: Executor): Promise<Snapshot> {
    const matched: Incident[] = [];
    let cursor: ScanCursor | null = null;
    for (;;) {
      const page = await this.incidents.scan(ACTIVE_INCIDENTS, cursor, SCAN_PAGE, executor);
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
