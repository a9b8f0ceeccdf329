import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { SystemEventDto } from './dto/system-event.dto';
import { PublishedSystemEventSchema } from './dto/system-event.response';
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
  @ApiOperation({
    operationId: 'publishSystemEvent',
    summary: "Publish an operators' notice (maintenance, freeze...) to every subscriber as system_event",
  })
  @ApiCreatedResponse({ type: PublishedSystemEventSchema, description: 'The notice, as published' })
  @ApiErrors(400, 401, [403, 'AUTHORIZATION_ERROR: the credential lacks the admin scope'], 413, 415, 429)
  publish(@Body() dto: SystemEventDto): Promise<PublishedSystemEvent> {
    return this.system.publish(dto.category, dto.message, dto.metadata ?? {});
  }
}
