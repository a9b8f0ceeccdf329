import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsString,
  Length,
  MaxLength,
  Min,
  ValidateNested,
  ValidationArguments,
  registerDecorator,
} from 'class-validator';
import { LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';
import { AlertmanagerAlertDto, MAX_WEBHOOK_ALERTS } from './alertmanager-webhook.dto';

/**
 * Grafana's links carry the alert's labels as URL-encoded matchers (silenceURL): longer than Alertmanager's
 * generatorURL may be. Grafana's texts (message, valueString) are templated from every alert of the group.
 */
const MAX_URL = 16_384;
const MAX_TEXT = 65_536;

/** `values`: Grafana's evaluated expressions by ref id (`{"B": 44.2, "C": 1}`); a number or null each. */
function IsNumberMap(): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isNumberMap',
      target: target.constructor,
      propertyName: String(propertyName),
      validator: {
        validate(value: unknown): boolean {
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          return (
            entries.length <= LIMITS.mapEntries &&
            entries.every(
              ([k, v]) =>
                k.length > 0 &&
                k.length <= LIMITS.mapKey &&
                (v === null || (typeof v === 'number' && Number.isFinite(v))),
            )
          );
        },
        defaultMessage: (args: ValidationArguments) =>
          `${args.property} must be an object of at most ${LIMITS.mapEntries} numbers (or null) with keys of 1..${LIMITS.mapKey} characters`,
      },
    });
}

/** One alert of a Grafana Alerting webhook: Alertmanager's fields plus Grafana's (validated, not stored). */
export class GrafanaAlertDto extends AlertmanagerAlertDto {
  @ApiPropertyOptional({ maxLength: MAX_URL })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_URL)
  silenceURL?: string;

  @ApiPropertyOptional({ maxLength: MAX_URL })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_URL)
  dashboardURL?: string;

  @ApiPropertyOptional({ maxLength: MAX_URL })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_URL)
  panelURL?: string;

  @ApiPropertyOptional({ maxLength: MAX_URL })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_URL)
  imageURL?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number', nullable: true } })
  @IsOptionalButNotNull()
  @IsNumberMap()
  values?: Record<string, number | null>;

  @ApiPropertyOptional({ maxLength: MAX_TEXT })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_TEXT)
  valueString?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IsOptionalButNotNull()
  @IsInt()
  @Min(0)
  orgId?: number;
}

/**
 * Grafana Alerting's webhook contact point (payload version "1"): an Alertmanager-shaped group plus Grafana's
 * fields. Fields we do not use are accepted (typed ones validated) and ignored.
 */
export class GrafanaWebhookDto {
  @ApiPropertyOptional({ example: '1' })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, 16)
  version?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IsOptionalButNotNull()
  @IsInt()
  @Min(0)
  orgId?: number;

  @ApiPropertyOptional({ example: 'alerting' })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(64)
  state?: string;

  @ApiPropertyOptional({ example: '[FIRING:1] HighCPU' })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_TEXT)
  title?: string;

  @ApiPropertyOptional()
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_TEXT)
  message?: string;

  @ApiPropertyOptional()
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_TEXT)
  groupKey?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0 })
  @IsOptionalButNotNull()
  @IsInt()
  @Min(0)
  truncatedAlerts?: number;

  @ApiPropertyOptional({ enum: ['firing', 'resolved'] })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(64)
  status?: string;

  @ApiPropertyOptional()
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(LIMITS.source)
  receiver?: string;

  @ApiPropertyOptional({ maxLength: MAX_URL })
  @IsOptionalButNotNull()
  @IsString()
  @MaxLength(MAX_URL)
  externalURL?: string;

  @ApiProperty({ type: [GrafanaAlertDto], maxItems: MAX_WEBHOOK_ALERTS })
  @IsArray()
  @ArrayMaxSize(MAX_WEBHOOK_ALERTS)
  @ValidateNested({ each: true })
  @Type(() => GrafanaAlertDto)
  alerts!: GrafanaAlertDto[];
}
