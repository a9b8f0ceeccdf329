import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

export class CloseIncidentDto {
  @ApiPropertyOptional({ description: 'Who closes the incident; defaults to "api"' })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.actor)
  actor?: string;
}
