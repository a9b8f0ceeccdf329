import { Controller, Get, UseFilters, applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { BrokerHealthIndicator } from './broker.health';
import { HealthReportSchema } from './dto/health-report.response';
import { DatabaseHealthIndicator } from './database.health';
import { HealthExceptionFilter } from './health-exception.filter';
import { Public } from '../auth/access.decorator';
import { EventBusService } from '../events/bus/event-bus.service';

/** Terminus' defaults (no caching), without its OpenAPI description: ours names the report's schema. */
const DOCUMENTED_HERE = { noCache: true, swaggerDocumentation: false };

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
  @HealthCheck(DOCUMENTED_HERE)
  @ApiOperation({
    operationId: 'checkHealth',
    summary: 'Overall health: the database, and the broker with REDIS_URL',
    security: [],
  })
  @ApiHealthReport('a dependency is down')
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.database.check(),
      ...(this.bus.enabled ? [() => this.broker.check()] : []),
    ]);
  }

  /** Liveness: the process answers. Never depends on the database, so a slow database does not restart us. */
  @Public()
  @Get('live')
  @HealthCheck(DOCUMENTED_HERE)
  @ApiOperation({
    operationId: 'checkLiveness',
    summary: 'Liveness: the process answers (never depends on the database)',
    security: [],
  })
  @ApiHealthReport('the server is shutting down')
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Readiness: able to serve requests, i.e. the database answers. */
  @Public()
  @Get('ready')
  @HealthCheck(DOCUMENTED_HERE)
  @ApiOperation({
    operationId: 'checkReadiness',
    summary: 'Readiness: able to serve requests, i.e. the database answers',
    security: [],
  })
  @ApiHealthReport('the database does not answer')
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.database.check()]);
  }
}

/** A health route's answers: its report, 200 when healthy, 503 when not. */
function ApiHealthReport(unhealthy: string): MethodDecorator {
  return applyDecorators(
    ApiOkResponse({ type: HealthReportSchema, description: 'Healthy' }),
    ApiServiceUnavailableResponse({ type: HealthReportSchema, description: `Unhealthy: ${unhealthy}` }),
  );
}
