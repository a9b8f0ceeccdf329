// Event types and payloads are wire shapes: defined once in the protocol package (protocol/src/events.ts).
export { EventType, EVENT_TYPES } from '@llm-incident-manager/protocol';
export type {
  IncidentCreatedEvent,
  IncidentUpdatedEvent,
  IncidentResolvedEvent,
  IncidentClosedEvent,
  AlertReceivedEvent,
  AlertConvertedEvent,
  EscalatedEvent,
  PlaybookStartedEvent,
  PlaybookActionExecutedEvent,
  PlaybookCompletedEvent,
  NotificationSentEvent,
  AssignmentChangedEvent,
  CommentAddedEvent,
  SystemEventEvent,
  DomainEvent,
} from '@llm-incident-manager/protocol';
