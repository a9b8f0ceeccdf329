import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import { Scope } from '../auth/scopes';
import type { IncidentConstraint } from '../common/incident-constraint';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ResponseStatsQuery, windowSeconds } from './dto/response-stats.query';
import { ResponseStats } from './dto/response-stats.response';
import { ResponseStatsService } from './response-stats.service';

/** GET /v1/incidents/stats (a static segment: the router prefers it to /v1/incidents/:id whatever the order). */
@ApiTags('incidents')
@Controller('v1/incidents')
export class ResponseStatsController {
  constructor(private readonly responseStats: ResponseStatsService) {}

  @RequireScope(Scope.IncidentsRead)
  @Get('stats')
  @ApiOperation({
    operationId: 'getIncidentStats',
    summary:
      'Time to acknowledge and to resolve (MTTA, MTTR) by severity over a window, and the open incidents',
    description:
      'Computed from the store: the same on every node and after a restart. Acknowledged: the first move from ' +
      'Detected to Triaged, Investigating or Remediating; resolved: the first time the incident reached Resolved ' +
      '(a reopened incident keeps its first resolution). Each incident counts in the window its acknowledgement ' +
      '(resolution) fell in, under its current severity. A constrained credential sees only the incidents inside it.',
  })
  @ApiOkResponse({
    type: ResponseStats,
    description: 'The window, one entry per severity, and all severities',
  })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: a window that is not 1m..30d (15m, 24h, 7d)'],
    401,
    [403, 'AUTHORIZATION_ERROR: the credential lacks incidents:read'],
    429,
  )
  stats(
    @Query() query: ResponseStatsQuery,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<ResponseStats> {
    return this.responseStats.stats(query.window, windowSeconds(query.window) ?? 0, constraint);
  }
}
