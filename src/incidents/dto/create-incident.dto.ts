import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsString, Length, MaxLength } from 'class-validator';
import { INCIDENT_TYPES, IncidentType, SEVERITIES, Severity } from '../../domain';
import { IsStringMap, LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

export class CreateIncidentDto {
  @ApiProperty({ minLength: 1, maxLength: LIMITS.source })
  @IsString()
  @Length(1, LIMITS.source)
  source!: string;

  @ApiProperty({ minLength: 1, maxLength: LIMITS.title })
  @IsString()
  @Length(1, LIMITS.title)
  title!: string;

  @ApiProperty({ maxLength: LIMITS.description })
  @IsString()
  @MaxLength(LIMITS.description)
  description!: string;

  @ApiProperty({ enum: SEVERITIES })
  @IsIn(SEVERITIES)
  severity!: Severity;

  @ApiProperty({ enum: INCIDENT_TYPES })
  @IsIn(INCIDENT_TYPES)
  incident_type!: IncidentType;

  @ApiPropertyOptional({ type: [String], maxItems: LIMITS.listItems })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(LIMITS.listItems)
  @IsString({ each: true })
  @Length(1, LIMITS.listItem, { each: true })
  affected_resources?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptionalButNotNull()
  @IsStringMap()
  labels?: Record<string, string>;
}
