import { ApiProperty } from '@nestjs/swagger';
import { SEVERITIES, type Severity } from '../../domain';

/** Seconds from creation to acknowledgement (or to first resolution) of the incidents that reached it in the window. */
export class ResponseTimeSummary {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Incidents acknowledged (or first resolved) in the window',
    example: 12,
  })
  count!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Mean seconds; null when count is 0',
    example: 94.5,
  })
  mean_seconds!: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Median seconds (linear interpolation)',
    example: 90,
  })
  p50_seconds!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: '90th percentile seconds', example: 240 })
  p90_seconds!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: 'Longest, seconds', example: 600 })
  max_seconds!: number | null;
}

/** Incidents open now (every active state), whenever they were created. */
export class OpenIncidentCounts {
  @ApiProperty({ type: 'integer', minimum: 0, example: 3 })
  total!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 1 })
  Detected!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 1 })
  Triaged!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 1 })
  Investigating!: number;

  @ApiProperty({ type: 'integer', minimum: 0, example: 0 })
  Remediating!: number;
}

export class ResponseStatsGroup {
  @ApiProperty({ type: ResponseTimeSummary, description: 'Time to acknowledge (MTTA)' })
  acknowledged!: ResponseTimeSummary;

  @ApiProperty({ type: ResponseTimeSummary, description: 'Time to first resolution (MTTR)' })
  resolved!: ResponseTimeSummary;

  @ApiProperty({ type: OpenIncidentCounts })
  open!: OpenIncidentCounts;
}

export class SeverityResponseStats extends ResponseStatsGroup {
  @ApiProperty({ enum: SEVERITIES, example: 'P1' })
  severity!: Severity;
}

export class ResponseStats {
  @ApiProperty({ example: '24h' })
  window!: string;

  @ApiProperty({ type: 'integer', minimum: 60, example: 86400 })
  window_seconds!: number;

  @ApiProperty({ format: 'date-time', description: 'Start of the window (inclusive)' })
  from!: string;

  @ApiProperty({ format: 'date-time', description: 'End of the window: now, on the server' })
  to!: string;

  @ApiProperty({
    type: [SeverityResponseStats],
    description: 'One entry per severity, most severe first, zeros included',
  })
  by_severity!: SeverityResponseStats[];

  @ApiProperty({ type: ResponseStatsGroup, description: 'Every severity together' })
  all!: ResponseStatsGroup;
}
