import { ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsString, Length } from 'class-validator';
import { INCIDENT_STATES, IncidentState, SEVERITIES, Severity } from '../../domain';
import { IsStringMap, LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

export class UpdateIncidentDto {
  @ApiPropertyOptional({ enum: INCIDENT_STATES })
  @IsOptionalButNotNull()
  @IsIn(INCIDENT_STATES)
  state?: IncidentState;

  @ApiPropertyOptional({ enum: SEVERITIES })
  @IsOptionalButNotNull()
  @IsIn(SEVERITIES)
  severity?: Severity;

  @ApiPropertyOptional({ type: [String], maxItems: LIMITS.listItems })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(LIMITS.listItems)
  @IsString({ each: true })
  @Length(1, LIMITS.actor, { each: true })
  assignees?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptionalButNotNull()
  @IsStringMap()
  labels?: Record<string, string>;

  @ApiPropertyOptional({ description: 'Who makes the change (timeline actor); defaults to "api"' })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.actor)
  actor?: string;
}
