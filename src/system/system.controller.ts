import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { SystemEventDto } from './dto/system-event.dto';
import type { PublishedSystemEvent } from './system-event';
import { SystemService } from './system.service';
import { RequireScope } from '../auth/access.decorator';
import { Scope } from '../auth/scopes';

@ApiTags('system')
@Controller('v1/system')
export class SystemController {
  constructor(private readonly system: SystemService) {}

  /** Operators' notices (maintenance, freezes...), published to subscribers as `system_event`. */
  @RequireScope(Scope.Admin)
  @Post('events')
  @HttpCode(201)
  publish(@Body() dto: SystemEventDto): Promise<PublishedSystemEvent> {
    return this.system.publish(dto.category, dto.message, dto.metadata ?? {});
  }
}
