import { Controller, Get, UseFilters } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { BrokerHealthIndicator } from './broker.health';
import { DatabaseHealthIndicator } from './database.health';
import { HealthExceptionFilter } from './health-exception.filter';
import { Public } from '../auth/access.decorator';
import { EventBusService } from '../events/bus/event-bus.service';

@ApiTags('health')
@Controller('health')
@UseFilters(HealthExceptionFilter)
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly broker: BrokerHealthIndicator,
    private readonly bus: EventBusService,
  ) {}

  /** Overall health: every dependency (the broker only with REDIS_URL). */
  @Public()
  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.check(),
      ...(this.bus.enabled ? [() => this.broker.check()] : []),
    ]);
  }

  /** Liveness: the process answers. Never depends on the database, so a slow database does not restart us. */
  @Public()
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Readiness: able to serve requests, i.e. the database answers. */
  @Public()
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.database.check()]);
  }
}
