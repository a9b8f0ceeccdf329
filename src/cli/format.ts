import {
  EventType,
  type DomainEvent,
  type EventMessage,
  type Incident,
  type Severity,
} from '@llm-incident-manager/client';

/** ANSI styles, or nothing when colour is off. */
export class Painter {
  constructor(private readonly enabled: boolean) {}

  severity(severity: Severity | undefined, text: string): string {
    switch (severity) {
      case 'P0':
        return this.paint('1;97;41', text); // bold white on red
      case 'P1':
        return this.paint('1;31', text); // bold red
      case 'P2':
        return this.paint('33', text); // yellow
      case 'P3':
        return this.paint('36', text); // cyan
      case 'P4':
        return this.paint('2', text); // dim
      default:
        return text;
    }
  }

  dim(text: string): string {
    return this.paint('2', text);
  }

  bold(text: string): string {
    return this.paint('1', text);
  }

  private paint(code: string, text: string): string {
    return this.enabled ? `\u001b[${code}m${text}\u001b[0m` : text;
  }
}

/** The severity an event is about, when it says. */
function severityOf(event: DomainEvent): Severity | undefined {
  switch (event.event_type) {
    case EventType.IncidentCreated:
    case EventType.IncidentUpdated:
    case EventType.IncidentResolved:
    case EventType.IncidentClosed:
      return event.incident.severity;
    case EventType.AlertReceived:
    case EventType.AlertConverted:
      return event.alert.severity;
    case EventType.Escalated:
      return event.to_severity;
    default:
      return undefined;
  }
}

function short(id: string): string {
  return id.slice(0, 8);
}

/** What happened, in a few words. */
function summary(event: DomainEvent): string {
  switch (event.event_type) {
    case EventType.IncidentCreated:
    case EventType.IncidentResolved:
    case EventType.IncidentClosed:
      return `${event.incident.title} [${event.incident.state}] (${event.incident.id})`;
    case EventType.IncidentUpdated: {
      const { incident, previous_state } = event;
      const state = previous_state === null ? incident.state : `${previous_state} -> ${incident.state}`;
      return `${incident.title} [${state}] (${incident.id})`;
    }
    case EventType.AlertReceived: {
      const { alert } = event;
      const where = alert.incident_id === null ? '' : ` -> incident ${short(alert.incident_id)}`;
      const flags = `${alert.deduplicated ? ' duplicate' : ''}${alert.suppressed === true ? ' suppressed' : ''}`;
      return `${alert.title} from ${alert.source}${flags}${where}`;
    }
    case EventType.AlertConverted:
      return `${event.alert.title} -> incident ${event.incident_id}`;
    case EventType.Escalated:
      return `${event.from_severity} -> ${event.to_severity}: ${event.reason} (${event.incident_id})`;
    case EventType.PlaybookStarted:
      return `${event.playbook_name} (${event.incident_id})`;
    case EventType.PlaybookActionExecuted:
      return `${event.action_name} ${event.success ? 'ok' : 'failed'}: ${event.message} (${event.incident_id})`;
    case EventType.PlaybookCompleted:
      return `${event.success ? 'succeeded' : 'failed'} after ${event.actions_executed} actions (${event.incident_id})`;
    case EventType.NotificationSent:
      return `${event.channel} ${event.success ? 'sent' : `failed${event.error === null ? '' : `: ${event.error}`}`} (${event.incident_id})`;
    case EventType.AssignmentChanged:
      return `${event.assignees.join(', ') || 'nobody'} (${event.incident_id})`;
    case EventType.CommentAdded:
      return `${event.author}: ${event.comment} (${event.incident_id})`;
    case EventType.SystemEvent:
      return `${event.category}: ${event.message}`;
  }
}

/** One line per event: time, severity, event type, what happened. */
export function eventLine(message: EventMessage, paint: Painter): string {
  const severity = severityOf(message.event);
  const type = message.event.event_type.padEnd(24);
  return [
    paint.dim(message.timestamp),
    paint.severity(severity, (severity ?? '--').padEnd(2)),
    paint.bold(type),
    summary(message.event),
  ].join('  ');
}

/** One line per incident, for `incidents ls`. */
export function incidentLine(incident: Incident, paint: Painter): string {
  return [
    incident.id,
    paint.severity(incident.severity, incident.severity),
    incident.state.padEnd(13),
    paint.dim(incident.created_at),
    incident.title,
  ].join('  ');
}
