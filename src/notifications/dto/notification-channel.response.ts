import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { SEVERITIES, Severity } from '../../domain';
import { NOTIFY_EVENTS, NotifyEvent } from '../notification-channel';
import type { NotificationChannelView } from '../notification-channel';
import { NotificationChannelDto } from './notification-channel.dto';

/** OpenAPI shape of a channel as the API answers it (NotificationChannelView): the request's, filled in. */
@ApiSchema({ name: 'NotificationChannel' })
export class NotificationChannelSchema extends NotificationChannelDto implements NotificationChannelView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ required: true, description: 'Credentials in it masked' })
  declare url: string;

  @ApiProperty({ required: true })
  declare enabled: boolean;

  @ApiProperty({ required: true, enum: NOTIFY_EVENTS, isArray: true })
  declare events: NotifyEvent[];

  @ApiProperty({ required: true, enum: SEVERITIES, isArray: true, description: 'Empty: every severity' })
  declare severities: Severity[];

  @ApiProperty({
    selfRequired: true,
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Extra request headers, values masked',
  })
  declare headers: Record<string, string>;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

@ApiSchema({ name: 'NotificationChannelList' })
export class NotificationChannelListSchema {
  @ApiProperty({ type: [NotificationChannelSchema], description: 'Oldest first' })
  channels!: NotificationChannelSchema[];
}
