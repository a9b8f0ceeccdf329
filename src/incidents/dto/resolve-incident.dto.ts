import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, MaxLength } from 'class-validator';
import { RESOLUTION_METHODS, ResolutionMethod } from '../../domain';
import { LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

export class ResolveIncidentDto {
  @ApiPropertyOptional({ description: "Required unless the request's credential names who resolves" })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.actor)
  resolved_by?: string;

  @ApiProperty({ enum: RESOLUTION_METHODS })
  @IsIn(RESOLUTION_METHODS)
  method!: ResolutionMethod;

  @ApiProperty({ maxLength: LIMITS.description })
  @IsString()
  @MaxLength(LIMITS.description)
  notes!: string;

  @ApiPropertyOptional({ maxLength: LIMITS.description })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(LIMITS.description)
  root_cause?: string;
}
