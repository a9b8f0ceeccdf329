import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiNotModifiedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/access.decorator';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { DASHBOARD_CSP, DashboardFile } from './dashboard-assets';
import { DashboardService } from './dashboard.service';

/** index.html is revalidated on every load (it names the current assets); the hashed assets never change. */
const INDEX_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/**
 * The live dashboard: `GET /` (index.html) and `GET /assets/:file` (its hashed scripts and styles). Public like
 * /docs: the page holds no data, and asks for a token itself before it calls the API.
 */
@ApiTags('dashboard')
@Public()
@Controller()
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  @ApiOperation({
    operationId: 'getDashboard',
    summary: 'The live dashboard (index.html); it asks for a token itself when one is needed',
    security: [],
  })
  @ApiOkResponse({ description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } })
  @ApiNotModifiedResponse({ description: 'If-None-Match names the current page' })
  @ApiErrors([404, 'NOT_FOUND: the dashboard is not built (npm run build)'])
  index(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    send(reply, this.dashboard.index(), INDEX_CACHE, ifNoneMatch);
  }

  @Get('assets/:file')
  @ApiOperation({
    operationId: 'getDashboardAsset',
    summary: "One of the dashboard's scripts, styles or images (hashed names, cached for good)",
    security: [],
  })
  @ApiParam({ name: 'file', type: String, description: 'A file name under the built assets/' })
  @ApiOkResponse({
    description: 'The file',
    content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiNotModifiedResponse({ description: 'If-None-Match names the current file' })
  @ApiErrors([404, 'NOT_FOUND: no such asset, or the dashboard is not built'])
  asset(
    @Param('file') name: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): void {
    send(reply, this.dashboard.asset(name), ASSET_CACHE, ifNoneMatch);
  }
}

function send(
  reply: FastifyReply,
  file: DashboardFile,
  cacheControl: string,
  ifNoneMatch: string | undefined,
): void {
  void reply.headers({
    'cache-control': cacheControl,
    etag: file.etag,
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  if (ifNoneMatch === file.etag) {
    void reply.status(304).send();
    return;
  }
  void reply.status(200).type(file.contentType).send(file.body);
}
