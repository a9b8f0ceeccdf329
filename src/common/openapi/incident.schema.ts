import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import {
  INCIDENT_STATES,
  INCIDENT_TYPES,
  RESOLUTION_METHODS,
  SEVERITIES,
  TIMELINE_EVENT_TYPES,
} from '../../domain';
import type {
  Incident,
  IncidentNote,
  IncidentState,
  IncidentType,
  Resolution,
  ResolutionMethod,
  Severity,
  TimelineEntry,
  TimelineEventType,
} from '../../domain';

/*
 * OpenAPI shapes of the incident as the API answers it (the domain's Incident). Documentation only: nothing
 * validates against them; `implements` keeps them in step with the domain types.
 */

/** A `{string: string}` map (labels, metadata). */
export const STRING_MAP = { type: 'object', additionalProperties: { type: 'string' } } as const;

@ApiSchema({ name: 'TimelineEntry' })
export class TimelineEntrySchema implements TimelineEntry {
  @ApiProperty({ format: 'date-time' })
  timestamp!: string;

  @ApiProperty({ enum: TIMELINE_EVENT_TYPES })
  event_type!: TimelineEventType;

  @ApiProperty({ example: 'alice' })
  actor!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty(STRING_MAP)
  metadata!: Record<string, string>;
}

@ApiSchema({ name: 'Resolution' })
export class ResolutionSchema implements Resolution {
  @ApiProperty({ format: 'date-time' })
  resolved_at!: string;

  @ApiProperty()
  resolved_by!: string;

  @ApiProperty({ enum: RESOLUTION_METHODS })
  resolution_method!: ResolutionMethod;

  @ApiProperty({ type: String, nullable: true })
  root_cause!: string | null;

  @ApiProperty()
  notes!: string;
}

@ApiSchema({ name: 'IncidentNote' })
export class IncidentNoteSchema implements IncidentNote {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  author!: string;

  @ApiProperty()
  content!: string;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;
}

@ApiSchema({ name: 'Incident' })
export class IncidentSchema implements Incident {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  @ApiProperty({ enum: INCIDENT_STATES })
  state!: IncidentState;

  @ApiProperty({ enum: SEVERITIES })
  severity!: Severity;

  @ApiProperty({ enum: INCIDENT_TYPES })
  incident_type!: IncidentType;

  @ApiProperty()
  source!: string;

  @ApiProperty()
  title!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty({ type: [String] })
  affected_resources!: string[];

  @ApiProperty(STRING_MAP)
  labels!: Record<string, string>;

  @ApiProperty({ type: [String], description: 'Ids of related incidents' })
  related_incidents!: string[];

  @ApiProperty({ type: String, nullable: true, description: 'The playbook running on it, if any' })
  active_playbook!: string | null;

  @ApiProperty({ type: ResolutionSchema, nullable: true, description: 'Set once Resolved' })
  resolution!: ResolutionSchema | null;

  @ApiProperty({ type: [TimelineEntrySchema], description: 'Oldest first' })
  timeline!: TimelineEntrySchema[];

  @ApiProperty({ type: [String] })
  assignees!: string[];

  @ApiProperty({ type: [IncidentNoteSchema], description: 'Comments, oldest first' })
  notes!: IncidentNoteSchema[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'What alerts are deduplicated on; null for an incident created by hand',
  })
  fingerprint!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  correlation_score!: number | null;
}

/** `GET /v1/incidents`. */
@ApiSchema({ name: 'IncidentPage' })
export class IncidentPageSchema {
  @ApiProperty({ type: [IncidentSchema], description: 'Newest first' })
  incidents!: IncidentSchema[];

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Every incident matching the filters' })
  total!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  page!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100 })
  page_size!: number;
}
