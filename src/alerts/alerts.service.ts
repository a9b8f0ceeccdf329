import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/api-error';
import type { Alert } from '../domain';
import { IncidentsService } from '../incidents/incidents.service';
import { AlertsRepository } from './alerts.repository';

/** Reading stored alerts (ingestion writes them: AlertIngestionService). */
@Injectable()
export class AlertsService {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly incidents: IncidentsService,
  ) {}

  async get(id: string): Promise<Alert> {
    const alert = await this.alerts.get(id);
    if (!alert) throw new NotFoundError(`Alert ${id}`);
    return alert;
  }

  /** Every alert attached to the incident (the opening one and its duplicates), oldest first; 404 without it. */
  async listForIncident(incidentId: string): Promise<Alert[]> {
    await this.incidents.get(incidentId);
    return this.alerts.listByIncident(incidentId);
  }
}
