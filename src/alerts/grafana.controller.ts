import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AlertAck, AlertOrigin } from './alert-input';
import { AlertIngestionService } from './alert-ingestion.service';
import { mapAlertmanagerAlert } from './alertmanager.mapper';
import { AlertAcksDto } from './dto/alert-ack.dto';
import { GrafanaWebhookDto } from './dto/grafana-webhook.dto';
import { ApiIngestionErrors } from './ingestion-api.decorator';
import { IngestLimited, webhookAlertCount } from './ingest-rate-limit.guard';
import { RequireScope } from '../auth/access.decorator';
import { Scope } from '../auth/scopes';

/** The source of a Grafana alert without a `source` label (Alertmanager's are `alertmanager`). */
const GRAFANA_SOURCE = 'grafana';

@ApiTags('integrations')
@Controller('v1/integrations/grafana')
export class GrafanaController {
  constructor(private readonly ingestion: AlertIngestionService) {}

  @RequireScope(Scope.AlertsWrite)
  @IngestLimited(webhookAlertCount)
  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'receiveGrafanaWebhook',
    summary: "Grafana Alerting's webhook contact point: each alert mapped as an Alertmanager alert",
    description:
      "Deduplicated by Grafana's fingerprint (the label set); a resolved alert resolves its incident; re-deliveries are idempotent. Grafana's own fields (values, valueString, URLs, title, message) are validated and not stored.",
  })
  @ApiOkResponse({ type: AlertAcksDto, description: '{acks}: one per alert, in the webhook order' })
  @ApiIngestionErrors()
  async receive(@Body() webhook: GrafanaWebhookDto): Promise<{ acks: AlertAck[] }> {
    return {
      acks: await this.ingestion.ingestAlertmanager(
        webhook.alerts.map((alert) => mapAlertmanagerAlert(alert, GRAFANA_SOURCE)),
        AlertOrigin.Grafana,
      ),
    };
  }
}
