import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AlertAck } from './alert-input';
import { AlertIngestionService } from './alert-ingestion.service';
import { mapAlertmanagerAlert } from './alertmanager.mapper';
import { AlertAcksDto } from './dto/alert-ack.dto';
import { AlertmanagerWebhookDto } from './dto/alertmanager-webhook.dto';
import { ApiIngestionErrors } from './ingestion-api.decorator';
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
  @ApiOperation({
    operationId: 'receiveAlertmanagerWebhook',
    summary: 'Prometheus Alertmanager webhook (version 4): one ack per alert, in order',
    description:
      "Deduplicated by Alertmanager's fingerprint (the label set); a resolved alert resolves its incident once every Alertmanager alert attached to it has resolved; re-deliveries are idempotent.",
  })
  @ApiOkResponse({ type: AlertAcksDto, description: '{acks}: one per alert, in the webhook order' })
  @ApiIngestionErrors()
  async receive(@Body() webhook: AlertmanagerWebhookDto): Promise<{ acks: AlertAck[] }> {
    return {
      acks: await this.ingestion.ingestAlertmanager(
        webhook.alerts.map((alert) => mapAlertmanagerAlert(alert)),
      ),
    };
  }
}
