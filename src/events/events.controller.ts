import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import { ListEventsQuery } from './dto/list-events.query';
import type { StoredLogEntry } from './event-log.repository';
import { EventLogService } from './event-log.service';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import type { IncidentConstraint } from '../common/incident-constraint';
import { Scope } from '../auth/scopes';

/**
 * The persistent event log over REST: a client that reconnects asks for everything after the last `sequence` it
 * saw, so a dropped connection loses nothing.
 */
@ApiTags('events')
@Controller('v1')
export class EventsController {
  constructor(private readonly log: EventLogService) {}

  @RequireScope(Scope.IncidentsRead)
  @Get('events')
  async list(
    @Query() query: ListEventsQuery,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<{ events: StoredLogEntry[] }> {
    return {
      events: await this.log.list({ afterSequence: query.after_sequence, limit: query.limit }, constraint),
    };
  }

  @RequireScope(Scope.IncidentsRead)
  @Get('incidents/:id/events')
  async forIncident(
    @UuidParam() id: string,
    @Query() query: ListEventsQuery,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<{ events: StoredLogEntry[] }> {
    return {
      events: await this.log.list(
        { afterSequence: query.after_sequence, incidentId: id, limit: query.limit },
        constraint,
      ),
    };
  }
}
