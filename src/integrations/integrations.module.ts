import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { AlertsModule } from '../alerts/alerts.module';
import { IncidentsModule } from '../incidents/incidents.module';
import { PagerDutyController } from './pagerduty/pagerduty.controller';
import { registerPagerDutyHooks } from './pagerduty/pagerduty-http.hooks';
import { PagerDutyService } from './pagerduty/pagerduty.service';

/** Senders that speak another product's protocol: PagerDuty's Events API v2. */
@Module({
  imports: [AlertsModule, IncidentsModule],
  controllers: [PagerDutyController],
  // The ingestion rate limiter is AlertsModule's: a key's INGEST_RATE_LIMIT_PER_KEY covers every ingestion route.
  providers: [PagerDutyService],
})
export class IntegrationsModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Before the server is ready (listen), so the hooks apply to the routes. */
  onModuleInit(): void {
    registerPagerDutyHooks(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}
