import { Body, Controller, HttpCode, Post, UseFilters } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IngestLimited } from '../../alerts/ingest-rate-limit.guard';
import { RequireBodyCredential } from '../../auth/access.decorator';
import { Scope } from '../../auth/scopes';
import { PagerDutyAcceptedDto, PagerDutyErrorDto, PagerDutyEventDto } from './dto/pagerduty-event.dto';
import { PagerDutyAccepted } from './pagerduty-errors';
import { parsePagerDutyEvent } from './pagerduty-event';
import { PagerDutyExceptionFilter } from './pagerduty-exception.filter';
import { PagerDutyService } from './pagerduty.service';

/**
 * PagerDuty's Events API v2 (alert events) at its own path, so that a sender is pointed here by changing only its
 * URL, and under our integrations. The routing key in the body is the credential (`@RequireBodyCredential`).
 */
@ApiTags('integrations')
@Controller()
@UseFilters(PagerDutyExceptionFilter)
export class PagerDutyController {
  constructor(private readonly pagerDuty: PagerDutyService) {}

  @RequireBodyCredential('routing_key', Scope.AlertsWrite)
  @IngestLimited()
  @Post('v2/enqueue')
  @HttpCode(202)
  @PagerDutyEvents('enqueuePagerDutyEvent')
  enqueue(@Body() body: unknown): Promise<PagerDutyAccepted> {
    return this.pagerDuty.receive(parsePagerDutyEvent(body));
  }

  @RequireBodyCredential('routing_key', Scope.AlertsWrite)
  @IngestLimited()
  @Post('v1/integrations/pagerduty')
  @HttpCode(202)
  @PagerDutyEvents('receivePagerDutyEvent')
  integration(@Body() body: unknown): Promise<PagerDutyAccepted> {
    return this.pagerDuty.receive(parsePagerDutyEvent(body));
  }
}

/** The OpenAPI description both routes share. No header credential (`security: []`): it is the body's. */
function PagerDutyEvents(operationId: string): MethodDecorator {
  return (target, key, descriptor) => {
    for (const decorator of [
      ApiOperation({
        operationId,
        security: [],
        summary:
          "PagerDuty Events API v2: trigger, acknowledge or resolve; answers as PagerDuty's /v2/enqueue",
        description:
          'The body is the credential (routing_key). Errors are PagerDuty-shaped, never {"error":{...}}: an invalid ' +
          'event, a missing or invalid routing key (or one without alerts:write) and bad JSON are 400.',
      }),
      ApiBody({ type: PagerDutyEventDto }),
      ApiResponse({ status: 202, type: PagerDutyAcceptedDto, description: 'Event processed' }),
      ApiResponse({
        status: 400,
        type: PagerDutyErrorDto,
        description:
          '`invalid event` (with one message per problem, or `Invalid routing key`); `Unrecognized object` for bad JSON',
      }),
      ApiResponse({ status: 413, type: PagerDutyErrorDto, description: 'The body is over 512 KB' }),
      ApiResponse({ status: 415, type: PagerDutyErrorDto, description: 'The body is not application/json' }),
      ApiResponse({
        status: 429,
        type: PagerDutyErrorDto,
        description: '`throttle exceeded`: over INGEST_RATE_LIMIT_PER_KEY for the routing key (Retry-After)',
      }),
    ]) {
      decorator(target, key, descriptor);
    }
  };
}
