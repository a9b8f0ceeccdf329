import type { DomainEvent } from '@llm-incident-manager/protocol';

/** What an event is about and what happened, in a line. */
export interface EventSummary {
  /** The incident it concerns, if any. */
  incidentId: string | null;
  /** A short label for its kind ("created", "escalated"...). */
  kind: string;
  text: string;
  /** A tone for its badge. */
  tone: 'bad' | 'warn' | 'good' | 'info' | 'muted';
}

export function describeEvent(event: DomainEvent): EventSummary {
  switch (event.event_type) {
    case 'incident_created':
      return {
        incidentId: event.incident.id,
        kind: 'created',
        text: `${event.incident.severity} ${event.incident.title}`,
        tone: 'bad',
      };
    case 'incident_updated':
      return {
        incidentId: event.incident.id,
        kind: 'updated',
        text:
          event.previous_state !== null && event.previous_state !== event.incident.state
            ? `${event.previous_state} → ${event.incident.state}: ${event.incident.title}`
            : `${event.incident.title} (${event.incident.severity}, ${event.incident.state})`,
        tone: 'info',
      };
    case 'incident_resolved':
      return { incidentId: event.incident.id, kind: 'resolved', text: event.incident.title, tone: 'good' };
    case 'incident_closed':
      return { incidentId: event.incident.id, kind: 'closed', text: event.incident.title, tone: 'muted' };
    case 'alert_received': {
      const alert = event.alert;
      const how = alert.suppressed === true ? ' (silenced)' : alert.deduplicated ? ' (duplicate)' : '';
      return {
        incidentId: alert.incident_id,
        kind: 'alert',
        text: `${alert.severity} ${alert.title} from ${alert.source}${how}`,
        tone: alert.suppressed === true ? 'muted' : 'warn',
      };
    }
    case 'alert_converted':
      return { incidentId: event.incident_id, kind: 'converted', text: event.alert.title, tone: 'muted' };
    case 'escalated':
      return {
        incidentId: event.incident_id,
        kind: 'escalated',
        text: `${event.from_severity} → ${event.to_severity}: ${event.reason}`,
        tone: 'bad',
      };
    case 'playbook_started':
      return {
        incidentId: event.incident_id,
        kind: 'playbook',
        text: `${event.playbook_name} started`,
        tone: 'info',
      };
    case 'playbook_action_executed':
      return {
        incidentId: event.incident_id,
        kind: 'action',
        text: `${event.action_name}: ${event.success ? 'ok' : 'failed'}${event.message === '' ? '' : ` (${event.message})`}`,
        tone: event.success ? 'info' : 'warn',
      };
    case 'playbook_completed':
      return {
        incidentId: event.incident_id,
        kind: 'playbook',
        text: `${event.success ? 'completed' : 'failed'} after ${event.actions_executed} actions`,
        tone: event.success ? 'good' : 'warn',
      };
    case 'notification_sent':
      return {
        incidentId: event.incident_id,
        kind: 'notified',
        text: `${event.channel}: ${event.success ? 'sent' : `failed${event.error === null ? '' : ` (${event.error})`}`}`,
        tone: event.success ? 'muted' : 'warn',
      };
    case 'assignment_changed':
      return {
        incidentId: event.incident_id,
        kind: 'assigned',
        text: event.assignees.length > 0 ? event.assignees.join(', ') : 'unassigned',
        tone: 'info',
      };
    case 'comment_added':
      return {
        incidentId: event.incident_id,
        kind: 'comment',
        text: `${event.author}: ${event.comment}`,
        tone: 'info',
      };
    case 'system_event':
      return { incidentId: null, kind: 'system', text: `${event.category}: ${event.message}`, tone: 'muted' };
  }
}
