import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { SilencesModule } from '../silences/silences.module';
import { AlertIngestionService } from './alert-ingestion.service';
import { AlertmanagerController } from './alertmanager.controller';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';
import { GrafanaController } from './grafana.controller';
import { IncidentAlertsController } from './incident-alerts.controller';
import { IngestRateLimitGuard } from './ingest-rate-limit.guard';
import { IngestRateLimiter } from './ingest-rate-limit';

@Module({
  imports: [IncidentsModule, SilencesModule],
  controllers: [AlertsController, AlertmanagerController, GrafanaController, IncidentAlertsController],
  providers: [
    AlertsRepository,
    AlertsService,
    AlertIngestionService,
    IngestRateLimiter,
    IngestRateLimitGuard,
  ],
  // The rate limiter and its guard: other ingestion routes (integrations) charge the same per-credential buckets.
  exports: [AlertIngestionService, IngestRateLimiter, IngestRateLimitGuard],
})
export class AlertsModule {}
