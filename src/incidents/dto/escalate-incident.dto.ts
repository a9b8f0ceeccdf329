import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, MaxLength } from 'class-validator';
import { SEVERITIES, Severity } from '../../domain';
import { LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

export class EscalateIncidentDto {
  @ApiProperty({ enum: SEVERITIES, description: 'Must be more severe than the current severity' })
  @IsIn(SEVERITIES)
  to_severity!: Severity;

  @ApiProperty({ maxLength: LIMITS.description })
  @IsString()
  @MaxLength(LIMITS.description)
  reason!: string;

  @ApiPropertyOptional({ description: 'Who escalates (timeline actor); defaults to "api"' })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.actor)
  actor?: string;
}
