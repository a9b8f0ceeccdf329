import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsString, IsUrl, Length, MaxLength, isURL } from 'class-validator';
import { INCIDENT_TYPES, IncidentType } from '../../domain';
import { IsStringMap, LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';
import { IncidentContentDto } from '../../incidents/dto/incident-content.dto';

/**
 * The options of runbook_url's @IsUrl, shared with the fast body check so that both call isURL alike (validator.js
 * fills its defaults into this object on first use, for both).
 */
export const RUNBOOK_URL_OPTIONS: NonNullable<Parameters<typeof isURL>[1]> = {
  require_tld: false,
  require_protocol: true,
};

/** The longest runbook_url (@MaxLength). */
export const MAX_RUNBOOK_URL_LENGTH = 2048;

export class CreateAlertDto extends IncidentContentDto {
  @ApiPropertyOptional({ description: 'The sender’s id for the alert; defaults to a new UUID' })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.source)
  external_id?: string;

  @ApiProperty({ enum: INCIDENT_TYPES })
  @IsIn(INCIDENT_TYPES)
  alert_type!: IncidentType;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptionalButNotNull()
  @IsStringMap()
  labels?: Record<string, string>;

  @ApiPropertyOptional({ type: [String], maxItems: LIMITS.listItems })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(LIMITS.listItems)
  @IsString({ each: true })
  @Length(1, LIMITS.listItem, { each: true })
  affected_services?: string[];

  @ApiPropertyOptional({ format: 'uri' })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_RUNBOOK_URL_LENGTH)
  @IsUrl(RUNBOOK_URL_OPTIONS)
  runbook_url?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptionalButNotNull()
  @IsStringMap()
  annotations?: Record<string, string>;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: LIMITS.source,
    description:
      'Deduplication key: when set, alerts with the same key join one active incident, whatever their source, type, title and services',
  })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.source)
  dedup_key?: string;
}
