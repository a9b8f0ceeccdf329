import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
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
  async list(
    @UuidParam() id: string,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<{ alerts: Alert[] }> {
    return { alerts: await this.alerts.listForIncident(id, constraint) };
  }
}
