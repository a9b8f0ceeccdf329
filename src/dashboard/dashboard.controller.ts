import { Controller, Get, Headers, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/access.decorator';
import { DASHBOARD_CSP, DashboardFile } from './dashboard-assets';
import { DashboardService } from './dashboard.service';

/** index.html is revalidated on every load (it names the current assets); the hashed assets never change. */
const INDEX_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=31536000, immutable';

/**
 * The live dashboard: `GET /` (index.html) and `GET /assets/:file` (its hashed scripts and styles). Public like
 * /docs: the page holds no data, and asks for a token itself before it calls the API.
 */
@ApiExcludeController()
@Public()
@Controller()
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  index(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): void {
    send(reply, this.dashboard.index(), INDEX_CACHE, ifNoneMatch);
  }

  @Get('assets/:file')
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
