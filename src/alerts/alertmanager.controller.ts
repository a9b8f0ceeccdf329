import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AlertAck } from './alert-input';
import { AlertIngestionService } from './alert-ingestion.service';
import { mapAlertmanagerAlert } from './alertmanager.mapper';
import { AlertmanagerWebhookDto } from './dto/alertmanager-webhook.dto';
import { IngestLimited, webhookAlertCount } from './ingest-rate-limit.guard';
import { RequireScope } from '../auth/access.decorator';
import { Scope } from '../auth/scopes';

@ApiTags('integrations')
@Controller('v1/integrations/alertmanager')
export class AlertmanagerController {
  constructor(private readonly ingestion: AlertIngestionService) {}

  @RequireScope(Scope.AlertsWrite)
  @IngestLimited(webhookAlertCount)
  @Post()
  @HttpCode(200)
  async receive(@Body() webhook: AlertmanagerWebhookDto): Promise<{ acks: AlertAck[] }> {
    return { acks: await this.ingestion.ingestAlertmanager(webhook.alerts.map(mapAlertmanagerAlert)) };
  }
}
