import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Length, Max, Min } from 'class-validator';
import { INCIDENT_STATES, IncidentState, SEVERITIES, Severity } from '../../domain';
import { LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull, toSafeInteger } from '../../common/validation';

/** `?state=A&state=B` and `?state=A,B` both mean [A, B]. */
const toList = ({ value }: { value: unknown }): unknown => {
  const items: unknown[] = Array.isArray(value) ? (value as unknown[]) : [value];
  return items
    .flatMap((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()) : [v]))
    .filter((v) => v !== '');
};

const toBool = ({ value }: { value: unknown }): unknown => {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
};

/** Far beyond any real listing (100 million incidents at the largest page size), well within every store's offsets. */
const MAX_PAGE = 1_000_000;

export class ListIncidentsQuery {
  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, maximum: MAX_PAGE, description: 'From 0' })
  @IsOptionalButNotNull()
  @Transform(toSafeInteger)
  @IsInt()
  @Min(0)
  @Max(MAX_PAGE)
  page = 0;

  @ApiPropertyOptional({ type: 'integer', default: 20, minimum: 1, maximum: 100 })
  @IsOptionalButNotNull()
  @Transform(toSafeInteger)
  @IsInt()
  @Min(1)
  @Max(100)
  page_size = 20;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'Only Detected, Triaged, Investigating and Remediating incidents (also 1 or 0)',
  })
  @IsOptionalButNotNull()
  @Transform(toBool)
  @IsBoolean()
  active_only = false;

  @ApiPropertyOptional({ enum: INCIDENT_STATES, isArray: true, description: 'Any of these states' })
  @IsOptionalButNotNull()
  @Transform(toList)
  @IsIn(INCIDENT_STATES, { each: true })
  state: IncidentState[] = [];

  @ApiPropertyOptional({ enum: SEVERITIES, isArray: true, description: 'Any of these severities' })
  @IsOptionalButNotNull()
  @Transform(toList)
  @IsIn(SEVERITIES, { each: true })
  severity: Severity[] = [];

  @ApiPropertyOptional({ type: [String], description: 'Any of these sources' })
  @IsOptionalButNotNull()
  @Transform(toList)
  @IsString({ each: true })
  @Length(1, LIMITS.source, { each: true })
  source: string[] = [];
}
