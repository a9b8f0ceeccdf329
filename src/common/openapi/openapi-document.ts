import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

/** The security scheme every operation requires unless it declares `security: []` (health, the dashboard). */
export const BEARER_SCHEME = 'bearer';

const TAGS: ReadonlyArray<[name: string, description: string]> = [
  ['alerts', 'Native alert ingestion, and the alerts stored'],
  ['integrations', 'Webhooks of other tools: Prometheus Alertmanager, Grafana, PagerDuty Events API v2'],
  [
    'incidents',
    'Incidents and their lifecycle (Detected, Triaged, Investigating, Remediating, Resolved, Closed)',
  ],
  ['events', 'The persistent event log: what a client missed while disconnected'],
  ['stream', 'Live events over Server-Sent Events (the WebSocket stream at /ws is described in docs/)'],
  ['escalation', 'Escalation policies and the escalation of each incident'],
  ['playbooks', 'Automated responses: playbooks and their runs'],
  ['notifications', 'Notification channels (webhook, Slack)'],
  ['silences', 'Silences: alerts matching them open no incident'],
  ['api-keys', 'API keys (admin)'],
  ['system', "Operators' notices to every subscriber"],
  ['health', 'Liveness and readiness probes (no credential)'],
  ['dashboard', 'The live dashboard served at / (no credential: the page asks for a token itself)'],
  ['metrics', 'Prometheus metrics'],
];

/**
 * The OpenAPI document the server serves at /docs/json. Every operation names its operationId, summary, tag,
 * response schemas and error answers on its controller; what is shared (the bearer scheme, required by default,
 * and the tags) is declared here.
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('LLM Incident Manager')
    .setDescription(
      'Alert ingestion, deduplication into incidents, incident lifecycle, escalation, playbooks and notifications. ' +
        'Errors answer `{"error": {"code", "message", "status"}}` (ErrorBody), except on the PagerDuty routes, ' +
        "which answer in PagerDuty's shape. Live events: GET /v1/stream (Server-Sent Events) or the WebSocket at " +
        '/ws (see docs/).',
    )
    .setVersion('1')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'API key (llmim_...) or JWT',
        description:
          'An API key (`llmim_...`, POST /v1/api-keys) or a JWT, as `Authorization: Bearer <token>`',
      },
      BEARER_SCHEME,
    )
    .addSecurityRequirements(BEARER_SCHEME);
  for (const [name, description] of TAGS) builder.addTag(name, description);
  return SwaggerModule.createDocument(app, builder.build());
}
