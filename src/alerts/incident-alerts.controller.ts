import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { NotFoundError } from '../common/api-error';
import { UuidParam } from '../common/uuid-param.pipe';
import type { Alert } from '../domain';
import { IncidentsRepository } from '../incidents/incidents.repository';
import { AlertsRepository } from './alerts.repository';

@ApiTags('alerts')
@Controller('v1/incidents/:id/alerts')
export class IncidentAlertsController {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly incidents: IncidentsRepository,
  ) {}

  /** Every alert attached to the incident (the opening one and its duplicates), oldest first. */
  @Get()
  async list(@UuidParam() id: string): Promise<{ alerts: Alert[] }> {
    if (!(await this.incidents.get(id))) throw new NotFoundError(`Incident ${id}`);
    return { alerts: await this.alerts.listByIncident(id) };
  }
}
