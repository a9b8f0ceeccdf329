import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, ValidateBy } from 'class-validator';
import { IsOptionalButNotNull } from '../../common/validation';

const UNIT_SECONDS = { m: 60, h: 3600, d: 86400 } as const;

/** The longest window: the stats read every incident acknowledged or resolved in it (an indexed range). */
export const MAX_WINDOW_SECONDS = 30 * UNIT_SECONDS.d;

/** `15m`, `24h`, `7d` in seconds; null for anything else or outside 1m..30d. */
export function windowSeconds(text: string): number | null {
  const match = /^([1-9][0-9]{0,5})([mhd])$/.exec(text);
  if (match === null) return null;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  return seconds <= MAX_WINDOW_SECONDS ? seconds : null;
}

export class ResponseStatsQuery {
  @ApiPropertyOptional({
    type: String,
    default: '24h',
    pattern: '^[1-9][0-9]{0,5}[mhd]$',
    example: '7d',
    description:
      'How far back to count acknowledgements and resolutions: minutes, hours or days, at most 30d',
  })
  @IsOptionalButNotNull()
  @IsString()
  @ValidateBy({
    name: 'isWindow',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && windowSeconds(value) !== null,
      defaultMessage: () => 'window must be a duration in minutes, hours or days (15m, 24h, 7d), at most 30d',
    },
  })
  window = '24h';
}
