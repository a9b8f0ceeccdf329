import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Length, Max, Min } from 'class-validator';
import { INCIDENT_STATES, IncidentState, SEVERITIES, Severity } from '../../domain';
import { LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

/** `?state=A&state=B` and `?state=A,B` both mean [A, B]. */
const toList = ({ value }: { value: unknown }): unknown => {
  const items: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
  return items
    .flatMap((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : [v]))
    .filter((v) => v !== '');
};

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;

const toBool = ({ value }: { value: unknown }): unknown => {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
};

export class ListIncidentsQuery {
  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptionalButNotNull()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  page = 0;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptionalButNotNull()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(100)
  page_size = 20;

  @ApiPropertyOptional({ default: false })
  @IsOptionalButNotNull()
  @Transform(toBool)
  @IsBoolean()
  active_only = false;

  @ApiPropertyOptional({ enum: INCIDENT_STATES, isArray: true })
  @IsOptionalButNotNull()
  @Transform(toList)
  @IsIn(INCIDENT_STATES, { each: true })
  state: IncidentState[] = [];

  @ApiPropertyOptional({ enum: SEVERITIES, isArray: true })
  @IsOptionalButNotNull()
  @Transform(toList)
  @IsIn(SEVERITIES, { each: true })
  severity: Severity[] = [];

  @ApiPropertyOptional({ type: [String] })
  @IsOptionalButNotNull()
  @Transform(toList)
  @IsString({ each: true })
  @Length(1, LIMITS.source, { each: true })
  source: string[] = [];
}
