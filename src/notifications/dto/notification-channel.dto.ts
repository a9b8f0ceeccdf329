import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsString, IsUrl, Length, MaxLength } from 'class-validator';
import { IsStringMap } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';
import { SEVERITIES, Severity } from '../../domain';
import { CHANNEL_TYPES, ChannelType, NOTIFY_EVENTS, NotifyEvent } from '../notification-channel';

export const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** POST (create) and PUT (replace) body of a notification channel. */
export class NotificationChannelDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 128,
    description: 'Unique; names the channel in notification_sent',
  })
  @IsString()
  @Length(1, 128)
  name!: string;

  @ApiProperty({ enum: CHANNEL_TYPES, description: 'webhook: generic JSON; slack: incoming-webhook payload' })
  @IsIn(CHANNEL_TYPES)
  type!: ChannelType;

  @ApiProperty({ example: 'https://hooks.example.com/incidents' })
  @IsString()
  @MaxLength(2048)
  @IsUrl(HTTP_URL, { message: 'url must be an http(s) URL' })
  url!: string;

  @ApiPropertyOptional({ default: true })
  @IsOptionalButNotNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ enum: NOTIFY_EVENTS, isArray: true, description: 'Default: all three' })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(NOTIFY_EVENTS.length)
  @IsIn(NOTIFY_EVENTS, { each: true })
  events?: NotifyEvent[];

  @ApiPropertyOptional({ enum: SEVERITIES, isArray: true, description: 'Empty or absent: every severity' })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(SEVERITIES.length)
  @IsIn(SEVERITIES, { each: true })
  severities?: Severity[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Extra request headers (e.g. Authorization); returned masked',
  })
  @IsOptionalButNotNull()
  @IsStringMap({ maxEntries: 16, maxKeyLength: 128, maxValueLength: 4096 })
  headers?: Record<string, string>;
}
