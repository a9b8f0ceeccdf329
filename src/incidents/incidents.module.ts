import { Module } from '@nestjs/common';
import { IncidentStatsService } from './incident-stats.service';
import { IncidentsController } from './incidents.controller';
import { IncidentsRepository } from './incidents.repository';
import { IncidentsService } from './incidents.service';

@Module({
  controllers: [IncidentsController],
  providers: [IncidentsRepository, IncidentsService, IncidentStatsService],
  exports: [IncidentsService, IncidentStatsService, IncidentsRepository],
})
export class IncidentsModule {}
