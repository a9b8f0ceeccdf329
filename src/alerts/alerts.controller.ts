import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AlertSchema } from '../common/openapi/alert.schema';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ApiUuidParam } from '../common/openapi/api-uuid-param.decorator';
import { UuidParam } from '../common/uuid-param.pipe';
import type { Alert } from '../domain';
import { AlertAck } from './alert-input';
import { AlertIngestionService } from './alert-ingestion.service';
import { AlertsService } from './alerts.service';
import { AlertAckDto, AlertAcksDto } from './dto/alert-ack.dto';
import { AlertBatchDto } from './dto/alert-batch.dto';
import { CreateAlertDto } from './dto/create-alert.dto';
// Registers the fast checks of this controller's bodies with the global validation pipe.
import './dto/alert-body.fast-check';
import { ApiIngestionErrors } from './ingestion-api.decorator';
import { IngestLimited, webhookAlertCount } from './ingest-rate-limit.guard';
import { nativeAlertInput } from './native-alert.mapper';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import type { IncidentConstraint } from '../common/incident-constraint';
import { Scope } from '../auth/scopes';

@ApiTags('alerts')
@Controller('v1/alerts')
export class AlertsController {
  constructor(
    private readonly ingestion: AlertIngestionService,
    private readonly alerts: AlertsService,
  ) {}

  @RequireScope(Scope.AlertsWrite)
  @IngestLimited()
  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'ingestAlert',
    summary: 'Ingest one alert: a new incident, or a duplicate attached to an active one',
    description:
      'Alerts with the same fingerprint (source, type, title, services; or dedup_key) join the active incident; ' +
      'an alert matching an active silence is stored as suppressed and opens none.',
  })
  @ApiOkResponse({ type: AlertAckDto, description: 'The ack: the alert, its incident and what happened' })
  @ApiIngestionErrors()
  submit(@Body() dto: CreateAlertDto): Promise<AlertAck> {
    return this.ingestion.ingest(nativeAlertInput(dto));
  }

  @RequireScope(Scope.AlertsWrite)
  @IngestLimited(webhookAlertCount)
  @Post('batch')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'ingestAlertBatch',
    summary: 'Ingest 1..1000 alerts, each as by POST /v1/alerts, all stored in one transaction',
    description:
      'All or nothing: one invalid alert refuses the whole batch (400 naming it, alerts.<index>.<field>); the answer comes once the whole batch is durable. Counts one per alert against INGEST_RATE_LIMIT_PER_KEY.',
  })
  @ApiOkResponse({ type: AlertAcksDto, description: '{acks}: one per alert, in the batch order' })
  @ApiIngestionErrors()
  async submitBatch(@Body() dto: AlertBatchDto): Promise<{ acks: AlertAck[] }> {
    return { acks: await this.ingestion.ingestBatch(dto.alerts.map(nativeAlertInput)) };
  }

  @RequireScope(Scope.IncidentsRead)
  @Get(':id')
  @ApiOperation({ operationId: 'getAlert', summary: 'Get one stored alert' })
  @ApiUuidParam()
  @ApiOkResponse({ type: AlertSchema, description: 'The alert' })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: the id is not a UUID'],
    401,
    403,
    [404, "NOT_FOUND: no such alert (or its incident is outside the credential's constraint)"],
    429,
  )
  get(@UuidParam() id: string, @CallerConstraint() constraint: IncidentConstraint | null): Promise<Alert> {
    return this.alerts.get(id, constraint);
  }
}
