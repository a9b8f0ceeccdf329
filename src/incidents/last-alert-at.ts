import type { Incident } from '../domain';

/**
 * When the incident's last alert arrived: its last `AlertReceived` timeline entry (a duplicate attached), else its
 * creation (the opening alert). The incidents table keeps it in `last_alert_at` for the sliding deduplication
 * window; it is derived from the document on every write, so that no other change (a comment, a state change)
 * moves the window and every writer keeps the column right without knowing of it.
 */
export function lastAlertAt(incident: Pick<Incident, 'created_at' | 'timeline'>): string {
  const { timeline } = incident;
  for (let i = timeline.length - 1; i >= 0; i--) {
    if (timeline[i].event_type === 'AlertReceived') return timeline[i].timestamp;
  }
  return incident.created_at;
}
