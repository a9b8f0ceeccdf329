import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { MetricsAccess } from '../auth/access.decorator';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { BEARER_SCHEME } from '../common/openapi/openapi-document';

/** `GET /metrics`: the library's scrape endpoint, with its access declared like every other route. */
@ApiTags('metrics')
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @MetricsAccess()
  @ApiOperation({
    operationId: 'getMetrics',
    summary: 'Prometheus metrics, in the text exposition format',
    description: 'Any valid credential, whatever its scopes; no credential with METRICS_PUBLIC=true.',
    security: [{ [BEARER_SCHEME]: [] }, {}],
  })
  @ApiOkResponse({
    description: 'Every metric (the exposition format, version 0.0.4)',
    content: { 'text/plain': { schema: { type: 'string', example: 'llm_im_alerts_received_total 42' } } },
  })
  @ApiErrors([401, 'AUTHENTICATION_ERROR: no valid credential (unless METRICS_PUBLIC=true)'])
  override index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    return super.index(response);
  }
}
