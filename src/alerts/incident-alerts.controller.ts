import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AlertListSchema } from '../common/openapi/alert.schema';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ApiUuidParam } from '../common/openapi/api-uuid-param.decorator';
import { UuidParam } from '../common/uuid-param.pipe';
import type { Alert } from '../domain';
import { AlertsService } from './alerts.service';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import type { IncidentConstraint } from '../common/incident-constraint';
import { Scope } from '../auth/scopes';

@ApiTags('alerts')
@Controller('v1/incidents/:id/alerts')
export class IncidentAlertsController {
  constructor(private readonly alerts: AlertsService) {}

  /** Every alert attached to the incident (the opening one and its duplicates), oldest first. */
  @RequireScope(Scope.IncidentsRead)
  @Get()
  @ApiOperation({
    operationId: 'listIncidentAlerts',
    summary: "List an incident's alerts: the opening one and its duplicates, oldest first",
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: AlertListSchema, description: "The incident's alerts" })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: the id is not a UUID'],
    401,
    403,
    [404, "NOT_FOUND: no such incident (or outside the credential's constraint)"],
    429,
  )
  async list(
    @UuidParam() id: string,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<{ alerts: Alert[] }> {
    return { alerts: await this.alerts.listForIncident(id, constraint) };
  }
}
