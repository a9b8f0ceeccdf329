import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsString, Length } from 'class-validator';
import { INCIDENT_TYPES, IncidentType } from '../../domain';
import { IsStringMap, LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';
import { IncidentContentDto } from './incident-content.dto';

export class CreateIncidentDto extends IncidentContentDto {
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
