import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/api-error';
import type { IncidentConstraint } from '../common/incident-constraint';
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

  /** The alert; 404 when there is none or when its incident lies outside the caller's constraint. */
  async get(id: string, constraint: IncidentConstraint | null = null): Promise<Alert> {
    const alert = await this.alerts.get(id);
    if (!alert) throw new NotFoundError(`Alert ${id}`);
    // An alert without an incident has nothing to match a constraint against: a constrained caller never sees it.
    if (
      constraint !== null &&
      (alert.incident_id === null || !(await this.incidents.isVisible(alert.incident_id, constraint)))
    ) {
      throw new NotFoundError(`Alert ${id}`);
    }
    return alert;
  }

  /**
   * Every alert attached to the incident (the opening one and its duplicates), oldest first; 404 without it, or
   * when it lies outside the caller's constraint.
   */
  async listForIncident(incidentId: string, constraint: IncidentConstraint | null = null): Promise<Alert[]> {
    await this.incidents.get(incidentId, constraint);
    return this.alerts.listByIncident(incidentId);
  }
}
