import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import type { Alert } from '../domain';
import { AlertAck } from './alert-input';
import { AlertIngestionService } from './alert-ingestion.service';
import { AlertsService } from './alerts.service';
import { AlertAckDto, AlertAcksDto } from './dto/alert-ack.dto';
import { AlertBatchDto } from './dto/alert-batch.dto';
import { CreateAlertDto } from './dto/create-alert.dto';
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
  @ApiOperation({ summary: 'Ingests one alert: a new incident, or a duplicate attached to an active one' })
  @ApiOkResponse({ type: AlertAckDto })
  @ApiIngestionErrors()
  submit(@Body() dto: CreateAlertDto): Promise<AlertAck> {
    return this.ingestion.ingest(nativeAlertInput(dto));
  }

  @RequireScope(Scope.AlertsWrite)
  @IngestLimited(webhookAlertCount)
  @Post('batch')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ingests 1..1000 alerts, each as by POST /v1/alerts, all stored in one transaction',
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
  get(@UuidParam() id: string, @CallerConstraint() constraint: IncidentConstraint | null): Promise<Alert> {
    return this.alerts.get(id, constraint);
  }
}
