import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ApiUuidParam } from '../common/openapi/api-uuid-param.decorator';
import { UuidParam } from '../common/uuid-param.pipe';
import { NotificationChannelDto } from './dto/notification-channel.dto';
import {
  NotificationChannelListSchema,
  NotificationChannelSchema,
} from './dto/notification-channel.response';
import { NotificationChannelView, toChannelView } from './notification-channel';
import { NotificationChannelsService } from './notification-channels.service';
import { RequireScope } from '../auth/access.decorator';
import { Scope } from '../auth/scopes';

const BAD_ID = [400, 'VALIDATION_ERROR: the id is not a UUID'] as const;
const NO_SUCH_CHANNEL = [404, 'NOT_FOUND: no such notification channel'] as const;
const NAME_TAKEN = [409, 'CONFLICT: another channel has this name'] as const;

@ApiTags('notifications')
@ApiErrors(401, 403, 429)
@Controller('v1/notification-channels')
export class NotificationsController {
  constructor(private readonly channels: NotificationChannelsService) {}

  @RequireScope(Scope.Admin)
  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createNotificationChannel',
    summary:
      'Create a notification channel: a webhook or Slack URL told of new, escalated and resolved incidents',
  })
  @ApiCreatedResponse({ type: NotificationChannelSchema, description: 'The channel (secrets masked)' })
  @ApiErrors(400, NAME_TAKEN, 413, 415)
  async create(@Body() dto: NotificationChannelDto): Promise<NotificationChannelView> {
    return toChannelView(await this.channels.create(dto));
  }

  @RequireScope(Scope.Admin)
  @Get()
  @ApiOperation({
    operationId: 'listNotificationChannels',
    summary: 'List notification channels, oldest first',
  })
  @ApiOkResponse({ type: NotificationChannelListSchema, description: 'Every channel (secrets masked)' })
  async list(): Promise<{ channels: NotificationChannelView[] }> {
    return { channels: (await this.channels.list()).map(toChannelView) };
  }

  @RequireScope(Scope.Admin)
  @Get(':id')
  @ApiOperation({ operationId: 'getNotificationChannel', summary: 'Get one notification channel' })
  @ApiUuidParam()
  @ApiOkResponse({ type: NotificationChannelSchema, description: 'The channel (secrets masked)' })
  @ApiErrors(BAD_ID, NO_SUCH_CHANNEL)
  async get(@UuidParam() id: string): Promise<NotificationChannelView> {
    return toChannelView(await this.channels.get(id));
  }

  @RequireScope(Scope.Admin)
  @Put(':id')
  @ApiOperation({ operationId: 'replaceNotificationChannel', summary: 'Replace a notification channel' })
  @ApiUuidParam()
  @ApiOkResponse({ type: NotificationChannelSchema, description: 'The channel as replaced' })
  @ApiErrors(400, NO_SUCH_CHANNEL, NAME_TAKEN, 413, 415)
  async replace(
    @UuidParam() id: string,
    @Body() dto: NotificationChannelDto,
  ): Promise<NotificationChannelView> {
    return toChannelView(await this.channels.replace(id, dto));
  }

  @RequireScope(Scope.Admin)
  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteNotificationChannel', summary: 'Delete a notification channel' })
  @ApiUuidParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(BAD_ID, NO_SUCH_CHANNEL)
  delete(@UuidParam() id: string): Promise<void> {
    return this.channels.delete(id);
  }
}
