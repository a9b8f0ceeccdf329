import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { INCIDENT_TYPES, SEVERITIES } from '../../domain';
import type { Alert, IncidentType, Severity } from '../../domain';
import { STRING_MAP } from './incident.schema';

/** OpenAPI shape of a stored alert (the domain's Alert), as `GET /v1/alerts/{id}` answers it. */
@ApiSchema({ name: 'Alert' })
export class AlertSchema implements Alert {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: "The sender's id for the alert" })
  external_id!: string;

  @ApiProperty()
  source!: string;

  @ApiProperty({ format: 'date-time', description: 'When the sender says it happened' })
  timestamp!: string;

  @ApiProperty({ format: 'date-time' })
  received_at!: string;

  @ApiProperty({ enum: SEVERITIES })
  severity!: Severity;

  @ApiProperty({ enum: INCIDENT_TYPES })
  alert_type!: IncidentType;

  @ApiProperty()
  title!: string;

  @ApiProperty()
  description!: string;

  @ApiProperty(STRING_MAP)
  labels!: Record<string, string>;

  @ApiProperty({ type: [String] })
  affected_services!: string[];

  @ApiProperty({ type: String, format: 'uri', nullable: true })
  runbook_url!: string | null;

  @ApiProperty(STRING_MAP)
  annotations!: Record<string, string>;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'null for a suppressed alert',
  })
  incident_id!: string | null;

  @ApiProperty({ description: 'Attached to an incident another alert opened' })
  deduplicated!: boolean;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: "The incident's first alert" })
  parent_alert_id!: string | null;

  @ApiPropertyOptional({ description: "The sender's deduplication key, when it sent one" })
  dedup_key?: string;

  @ApiPropertyOptional({
    type: Boolean,
    description: 'Present, and true, when an active silence matched the alert',
  })
  suppressed?: true;

  @ApiPropertyOptional({ format: 'uuid', description: 'The silence that matched, with `suppressed`' })
  silence_id?: string;
}

/** `GET /v1/incidents/{id}/alerts`. */
@ApiSchema({ name: 'AlertList' })
export class AlertListSchema {
  @ApiProperty({ type: [AlertSchema], description: 'The opening alert and its duplicates, oldest first' })
  alerts!: AlertSchema[];
}
