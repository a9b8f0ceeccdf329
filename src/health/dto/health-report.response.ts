import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger';

/** Each checked dependency (`database`, `broker`): `up` or `down`, and why when down. */
const INDICATOR: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['up', 'down'] }, message: { type: 'string' } },
  additionalProperties: true,
};
const INDICATORS = { type: 'object', additionalProperties: INDICATOR } as const;

/** OpenAPI shape of Terminus' health report, which the health routes answer both when healthy and not (503). */
@ApiSchema({ name: 'HealthReport' })
export class HealthReportSchema {
  @ApiProperty({ enum: ['ok', 'error', 'shutting_down'] })
  status!: string;

  @ApiPropertyOptional({ ...INDICATORS, description: 'The dependencies that are up' })
  info?: Record<string, unknown>;

  @ApiPropertyOptional({ ...INDICATORS, description: 'The dependencies that are down' })
  error?: Record<string, unknown>;

  @ApiProperty({
    ...INDICATORS,
    description: 'Every dependency checked',
    example: { database: { status: 'up' } },
  })
  details!: Record<string, unknown>;
}
