import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

export class AcknowledgeIncidentDto {
  @ApiPropertyOptional({
    description: 'Who acknowledges (timeline actor); defaults to the credential\'s name, else "api"',
    minLength: 1,
    maxLength: LIMITS.actor,
  })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.actor)
  actor?: string;
}
