import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsString, Length, MaxLength } from 'class-validator';
import { SEVERITIES, Severity } from '../../domain';
import { LIMITS } from '../../common/string-map.validator';

/** The fields an alert and a new incident share, with the contract's limits. */
export class IncidentContentDto {
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
}
