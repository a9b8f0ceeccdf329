import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import { NotificationChannelDto } from './dto/notification-channel.dto';
import { NotificationChannelView, toChannelView } from './notification-channel';
import { NotificationChannelsService } from './notification-channels.service';
import { RequireScope } from '../auth/access.decorator';
import { Scope } from '../auth/scopes';

@ApiTags('notifications')
@Controller('v1/notification-channels')
export class NotificationsController {
  constructor(private readonly channels: NotificationChannelsService) {}

  @RequireScope(Scope.Admin)
  @Post()
  @HttpCode(201)
  async create(@Body() dto: NotificationChannelDto): Promise<NotificationChannelView> {
    return toChannelView(await this.channels.create(dto));
  }

  @RequireScope(Scope.Admin)
  @Get()
  async list(): Promise<{ channels: NotificationChannelView[] }> {
    return { channels: (await this.channels.list()).map(toChannelView) };
  }

  @RequireScope(Scope.Admin)
  @Get(':id')
  async get(@UuidParam() id: string): Promise<NotificationChannelView> {
    return toChannelView(await this.channels.get(id));
  }

  @RequireScope(Scope.Admin)
  @Put(':id')
  async replace(
    @UuidParam() id: string,
    @Body() dto: NotificationChannelDto,
  ): Promise<NotificationChannelView> {
    return toChannelView(await this.channels.replace(id, dto));
  }

  @RequireScope(Scope.Admin)
  @Delete(':id')
  @HttpCode(204)
  delete(@UuidParam() id: string): Promise<void> {
    return this.channels.delete(id);
  }
}
