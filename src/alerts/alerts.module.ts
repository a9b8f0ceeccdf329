import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { AlertIngestionService } from './alert-ingestion.service';
import { AlertmanagerController } from './alertmanager.controller';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { IncidentAlertsController } from './incident-alerts.controller';

@Module({
  imports: [IncidentsModule],
  controllers: [AlertsController, AlertmanagerController, IncidentAlertsController],
  providers: [AlertsRepository, AlertsService, AlertIngestionService],
  exports: [AlertIngestionService],
})
export class AlertsModule {}
