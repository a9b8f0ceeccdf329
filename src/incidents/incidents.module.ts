import { Module } from '@nestjs/common';
import { IncidentStatsService } from './incident-stats.service';
import { IncidentsController } from './incidents.controller';
import { IncidentsRepository } from './incidents.repository';
import { IncidentsService } from './incidents.service';
import { ResponseStatsController } from './response-stats.controller';
import { ResponseStatsService } from './response-stats.service';

@Module({
  controllers: [IncidentsController, ResponseStatsController],
  providers: [IncidentsRepository, IncidentsService, IncidentStatsService, ResponseStatsService],
  exports: [IncidentsService, IncidentStatsService, IncidentsRepository],
})
export class IncidentsModule {}
