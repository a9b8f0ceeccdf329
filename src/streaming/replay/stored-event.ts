import { EventPriority } from '../../events/event-priority';
import type { StoredEventRow } from '../../events/event-log.repository';
import type { DomainEvent, EventType } from '../../events/event.types';
import { MatchSubjects, matchSubjectsOf } from '../../events/match-subject';
import { OutboundFrame, eventFrame } from '../transport/outbound-frame';

/**
 * What a replay matches an entry read back from the log against: the subjects stored with it at publish (so it
 * matches exactly as the live stream did, however the incident changed since). Entries stored before those were
 * (migration 0006) are matched from their payload: the incident in incident events, the alert in alert events, and
 * for other incident-scoped events only the incident id (filters on its attributes then do not match them).
 */
export function subjectsOfStored(row: StoredEventRow): MatchSubjects {
  if (row.match_subjects !== null) return JSON.parse(row.match_subjects) as MatchSubjects;
  return matchSubjectsOf(JSON.parse(row.payload) as DomainEvent, null, null);
}

/**
 * The `event` frame of a stored entry: the same bytes the live stream sent (the stored payload embedded as is).
 * Replayed frames never compete for room in the queue (the replay waits for it), so their priority is moot, and
 * their latency is not a publish latency (publishedAt NaN: not observed).
 */
export function storedEventFrame(row: StoredEventRow): OutboundFrame {
  return eventFrame({
    id: row.id,
    sequence: row.sequence,
    timestamp: row.created_at,
    eventJson: row.payload,
    priority: EventPriority.Normal,
    publishedAt: Number.NaN,
    event: { event_type: row.event_type as EventType },
  });
}
