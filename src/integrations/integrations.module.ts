import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AlertsModule } from '../alerts/alerts.module';
import { IngestRateLimiter } from '../alerts/ingest-rate-limit';
import { IncidentsModule } from '../incidents/incidents.module';
import { PagerDutyController } from './pagerduty/pagerduty.controller';
import { registerPagerDutyHooks } from './pagerduty/pagerduty-http.hooks';
import { PagerDutyService } from './pagerduty/pagerduty.service';

/** Senders that speak another product's protocol: PagerDuty's Events API v2. */
@Module({
  imports: [AlertsModule, IncidentsModule],
  controllers: [PagerDutyController],
  // AlertsModule does not export its IngestRateLimiter: these routes have buckets of their own for now, so a key
  // may send INGEST_RATE_LIMIT_PER_KEY alerts per second here besides as many to the other ingestion routes.
  providers: [PagerDutyService, IngestRateLimiter],
})
export class IntegrationsModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Before the server is ready (listen), so the hooks apply to the routes. */
  onModuleInit(): void {
    registerPagerDutyHooks(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}
