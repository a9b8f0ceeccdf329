import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { SilencesModule } from '../silences/silences.module';
import { AlertIngestionService } from './alert-ingestion.service';
import { AlertmanagerController } from './alertmanager.controller';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { IncidentAlertsController } from './incident-alerts.controller';
import { IngestRateLimitGuard } from './ingest-rate-limit.guard';
import { IngestRateLimiter } from './ingest-rate-limit';

@Module({
  imports: [IncidentsModule, SilencesModule],
  controllers: [AlertsController, AlertmanagerController, IncidentAlertsController],
  providers: [
    AlertsRepository,
    AlertsService,
    AlertIngestionService,
    IngestRateLimiter,
    IngestRateLimitGuard,
  ],
  exports: [AlertIngestionService],
})
export class AlertsModule {}
