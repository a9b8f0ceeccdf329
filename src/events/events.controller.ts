import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ApiUuidParam } from '../common/openapi/api-uuid-param.decorator';
import { UuidParam } from '../common/uuid-param.pipe';
import { EventLogPageDto } from './dto/event-log-page.dto';
import { ListEventsQuery } from './dto/list-events.query';
import { EventLogBounds, EventLogRetentionService } from './event-log-retention.service';
import type { StoredLogEntry } from './event-log.repository';
import { EventLogService } from './event-log.service';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import type { IncidentConstraint } from '../common/incident-constraint';
import { Scope } from '../auth/scopes';

/** A page of the log: its events and the log's stored range, read after them (see EventLogRetentionService). */
type EventLogPage = { events: StoredLogEntry[] } & EventLogBounds;

/**
 * The persistent event log over REST: a client that reconnects asks for everything after the last `sequence` it
 * saw, so a dropped connection loses nothing; `oldest_sequence` tells it whether retention pruned some of that.
 */
@ApiTags('events')
@ApiErrors(
  [400, 'VALIDATION_ERROR: after_sequence or limit out of range'],
  401,
  [403, 'AUTHORIZATION_ERROR: the credential lacks the incidents:read scope'],
  429,
)
@Controller('v1')
export class EventsController {
  constructor(
    private readonly log: EventLogService,
    private readonly retention: EventLogRetentionService,
  ) {}

  @RequireScope(Scope.IncidentsRead)
  @Get('events')
  @ApiOperation({
    operationId: 'listEvents',
    summary: 'Events of the log after after_sequence, oldest first, with the stored range of the log',
    description:
      'With a constrained credential, only the events whose incident, as it is now, lies inside the constraint (and system events).',
  })
  @ApiOkResponse({ type: EventLogPageDto, description: '{events, oldest_sequence, head_sequence}' })
  async list(
    @Query() query: ListEventsQuery,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<EventLogPage> {
    const events = await this.log.list(
      { afterSequence: query.after_sequence, limit: query.limit },
      constraint,
    );
    return { events, ...(await this.retention.bounds()) };
  }

  @RequireScope(Scope.IncidentsRead)
  @Get('incidents/:id/events')
  @ApiOperation({
    operationId: 'listIncidentEvents',
    summary:
      "One incident's events after after_sequence, oldest first, with the stored range of the whole log",
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: EventLogPageDto, description: '{events, oldest_sequence, head_sequence}' })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: the id is not a UUID, or after_sequence or limit out of range'],
    [404, "NOT_FOUND: no such incident, or outside the credential's constraint"],
  )
  async forIncident(
    @UuidParam() id: string,
    @Query() query: ListEventsQuery,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<EventLogPage> {
    const events = await this.log.list(
      { afterSequence: query.after_sequence, incidentId: id, limit: query.limit },
      constraint,
    );
    return { events, ...(await this.retention.bounds()) };
  }
}
