import { Module } from '@nestjs/common';
import { SilencesController } from './silences.controller';
import { SilencesRepository } from './silences.repository';
import { SilencesService } from './silences.service';

/** Silences (REST) and the in-memory set of unexpired ones that ingestion asks about every alert. */
@Module({
  controllers: [SilencesController],
  providers: [SilencesRepository, SilencesService],
  exports: [SilencesService],
})
export class SilencesModule {}
