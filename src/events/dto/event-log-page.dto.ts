import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { EVENT_TYPES } from '../event.types';
import type { DomainEvent } from '../event.types';
import type { StoredLogEntry } from '../event-log.repository';

/** One stored event, as `GET /v1/events` lists it (OpenAPI schema of StoredLogEntry). */
@ApiSchema({ name: 'LoggedEvent' })
export class LoggedEventDto implements StoredLogEntry {
  @ApiProperty({
    type: 'integer',
    description: 'Position in the log: strictly increasing, never reused',
    example: 42,
  })
  sequence!: number;

  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: EVENT_TYPES, example: 'incident_updated' })
  event_type!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null for a system_event' })
  incident_id!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({
    type: 'object',
    required: ['event_type'],
    properties: { event_type: { type: 'string', enum: [...EVENT_TYPES] } },
    additionalProperties: true,
    description:
      "The event as published on the stream: its `event_type` and that type's fields (docs/events.md lists them; the " +
      '@llm-incident-manager/protocol package types them)',
  })
  event!: DomainEvent;
}

/** A page of the event log and the range it is stored in (contract section 7). */
@ApiSchema({ name: 'EventLogPage' })
export class EventLogPageDto {
  @ApiProperty({
    type: [LoggedEventDto],
    description: 'Oldest first, each with a sequence above after_sequence',
  })
  events!: StoredLogEntry[];

  @ApiProperty({
    type: 'integer',
    description:
      'Sequence of the oldest event still stored (older ones were pruned by retention; 0 while the log is empty). ' +
      'A client whose last seen sequence is below oldest_sequence - 1 has missed events and should reload.',
    example: 1,
  })
  oldest_sequence!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Sequence of the newest stored event (0 while the log is empty); never pruned',
    example: 42,
  })
  head_sequence!: number;
}
