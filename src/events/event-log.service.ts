import { Injectable } from '@nestjs/common';
import { EventLogRepository, StoredLogEntry } from './event-log.repository';

/**
 * Reading the persistent event log: a client that reconnects asks for everything after the last `sequence` it
 * saw, so a dropped connection loses nothing. (Writing it is EventPublisher's job.)
 */
@Injectable()
export class EventLogService {
  constructor(private readonly log: EventLogRepository) {}

  /** Entries after `afterSequence`, oldest first, at most `limit`; only one incident's with `incidentId`. */
  list(query: { afterSequence: number; limit: number; incidentId?: string }): Promise<StoredLogEntry[]> {
    return this.log.list(query);
  }
}
