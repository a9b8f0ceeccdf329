import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsString,
  Length,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsStringMap, LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';

/** Most alerts one webhook may carry; Alertmanager truncates groups itself (`max_alerts`). */
export const MAX_WEBHOOK_ALERTS = 1000;

export class AlertmanagerAlertDto {
  @ApiProperty({ enum: ['firing', 'resolved'] })
  @IsIn(['firing', 'resolved'])
  status!: 'firing' | 'resolved';

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  @IsStringMap()
  labels!: Record<string, string>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' } })
  @IsOptionalButNotNull()
  @IsStringMap()
  annotations?: Record<string, string>;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptionalButNotNull()
  @IsISO8601({ strict: true })
  startsAt?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptionalButNotNull()
  @IsISO8601({ strict: false })
  endsAt?: string;

  @ApiPropertyOptional()
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(2048)
  generatorURL?: string;

  @ApiPropertyOptional({ description: 'Alertmanager’s fingerprint of the label set; becomes external_id' })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.source)
  fingerprint?: string;
}

/** Prometheus Alertmanager webhook payload, version 4. Fields we do not use are accepted and ignored. */
export class AlertmanagerWebhookDto {
  @ApiPropertyOptional({ example: '4' })
  @IsOptionalButNotNull()
  @IsIn(['4'], { message: 'version must be "4" (Alertmanager webhook version 4)' })
  version?: string;

  @ApiPropertyOptional()
  @IsOptionalButNotNull()
  @IsString()
  groupKey?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IsOptionalButNotNull()
  @IsInt()
  @Min(0)
  truncatedAlerts?: number;

  @ApiPropertyOptional({ enum: ['firing', 'resolved'] })
  @IsOptionalButNotNull()
  @IsIn(['firing', 'resolved'])
  status?: string;

  @ApiPropertyOptional()
  @IsOptionalButNotNull()
  @IsString()
  receiver?: string;

  @ApiProperty({ type: [AlertmanagerAlertDto], maxItems: MAX_WEBHOOK_ALERTS })
  @IsArray()
  @ArrayMaxSize(MAX_WEBHOOK_ALERTS)
  @ValidateNested({ each: true })
  @Type(() => AlertmanagerAlertDto)
  alerts!: AlertmanagerAlertDto[];
}
