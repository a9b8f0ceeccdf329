import { DomainEvent, EventType } from './event.types';

/** Internal delivery priority; higher value = more important. Lower priorities are shed first. */
export const EventPriority = { Low: 0, Normal: 1, High: 2, Critical: 3 } as const;
export type EventPriority = (typeof EventPriority)[keyof typeof EventPriority];

/** The contract's priority table (section 3, "Priority and delivery"). */
export function priorityOf(event: DomainEvent): EventPriority {
  switch (event.event_type) {
    case EventType.IncidentCreated:
      if (event.incident.severity === 'P0') return EventPriority.Critical;
      return event.incident.severity === 'P1' ? EventPriority.High : EventPriority.Normal;
    case EventType.Escalated:
      return event.to_severity === 'P0' ? EventPriority.Critical : EventPriority.High;
    case EventType.AlertReceived:
      return event.alert.severity === 'P0' || event.alert.severity === 'P1'
        ? EventPriority.High
        : EventPriority.Normal;
    case EventType.CommentAdded:
    case EventType.PlaybookActionExecuted:
    case EventType.SystemEvent:
      return EventPriority.Low;
    case EventType.IncidentUpdated:
    case EventType.IncidentResolved:
    case EventType.IncidentClosed:
    case EventType.AlertConverted:
    case EventType.PlaybookStarted:
    case EventType.PlaybookCompleted:
    case EventType.NotificationSent:
    case EventType.AssignmentChanged:
      return EventPriority.Normal;
  }
}
