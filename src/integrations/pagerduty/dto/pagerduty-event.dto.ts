import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PAGERDUTY_LIMITS, PAGERDUTY_SEVERITIES, PagerDutyAction } from '../pagerduty-event';

/*
 * The OpenAPI description of PagerDuty's Events API v2 bodies. Documentation only: the routes validate the body by
 * hand (parsePagerDutyEvent), so that problems are reported in PagerDuty's words and shape.
 */

class PagerDutyPayloadDto {
  @ApiProperty({
    maxLength: PAGERDUTY_LIMITS.summary,
    description: 'The incident title (cut to 500 characters)',
  })
  summary!: string;

  @ApiProperty({ description: 'The affected system; the incident source (cut to 255 characters)' })
  source!: string;

  @ApiProperty({
    enum: Object.keys(PAGERDUTY_SEVERITIES),
    description: 'critical P0, error P1, warning P2, info P3',
  })
  severity!: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'ISO 8601; the alert timestamp' })
  timestamp?: string;

  @ApiPropertyOptional({ description: 'Label `component`' })
  component?: string;

  @ApiPropertyOptional({ description: 'Label `group`' })
  group?: string;

  @ApiPropertyOptional({ description: 'Label `class`' })
  class?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'String values become labels; any other value an annotation (its JSON text)',
  })
  custom_details?: Record<string, unknown>;
}

class PagerDutyLinkDto {
  @ApiProperty()
  href!: string;

  @ApiPropertyOptional()
  text?: string;
}

class PagerDutyImageDto {
  @ApiProperty()
  src!: string;

  @ApiPropertyOptional()
  href?: string;

  @ApiPropertyOptional()
  alt?: string;
}

export class PagerDutyEventDto {
  @ApiProperty({
    description:
      'The credential: an API key with alerts:write (a JWT works too). Any value with AUTH_MODE=none. No Authorization header is read.',
  })
  routing_key!: string;

  @ApiProperty({ enum: Object.values(PagerDutyAction) })
  event_action!: string;

  @ApiPropertyOptional({
    maxLength: PAGERDUTY_LIMITS.dedupKey,
    description:
      'The deduplication key; required for acknowledge and resolve, made (a UUID) for a trigger without one',
  })
  dedup_key?: string;

  @ApiPropertyOptional({ type: PagerDutyPayloadDto, description: 'Required for trigger; ignored otherwise' })
  payload?: PagerDutyPayloadDto;

  @ApiPropertyOptional({ description: 'Annotation `client`' })
  client?: string;

  @ApiPropertyOptional({ description: 'Annotation `client_url`' })
  client_url?: string;

  @ApiPropertyOptional({ type: [PagerDutyLinkDto], description: 'Annotation `links` (JSON)' })
  links?: PagerDutyLinkDto[];

  @ApiPropertyOptional({ type: [PagerDutyImageDto], description: 'Annotation `images` (JSON)' })
  images?: PagerDutyImageDto[];
}

export class PagerDutyAcceptedDto {
  @ApiProperty({ example: 'success' })
  status!: string;

  @ApiProperty({ example: 'Event processed' })
  message!: string;

  @ApiProperty({ example: '17c4e445d234645c9e547ff6d32a864af0ebdadcd1902771c24c8d366637ff41' })
  dedup_key!: string;
}

export class PagerDutyErrorDto {
  @ApiProperty({ example: 'invalid event' })
  status!: string;

  @ApiProperty({ example: 'Event object is invalid' })
  message!: string;

  @ApiProperty({ type: [String], example: ["'payload.severity' is missing or blank"] })
  errors!: string[];
}
