import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import type { Alert } from '../domain';
import { AlertAck } from './alert-input';
import { AlertIngestionService } from './alert-ingestion.service';
import { AlertsService } from './alerts.service';
import { CreateAlertDto } from './dto/create-alert.dto';
import { IngestLimited } from './ingest-rate-limit.guard';
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
  submit(@Body() dto: CreateAlertDto): Promise<AlertAck> {
    return this.ingestion.ingest(nativeAlertInput(dto));
  }

  @RequireScope(Scope.IncidentsRead)
  @Get(':id')
  get(@UuidParam() id: string, @CallerConstraint() constraint: IncidentConstraint | null): Promise<Alert> {
    return this.alerts.get(id, constraint);
  }
}
