import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, AppOptions } from './app.module';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { corsOptions } from './common/cors';
import { createOpenApiDocument } from './common/openapi/openapi-document';
import { answerClientError, answerFrameworkError } from './common/framework-errors';
import { ClientAddresses } from './common/client-address';
import { registerHttpRateLimit } from './common/http-rate-limit.hook';
import { registerJsonBodyParser } from './common/json-body.parser';
import { apiValidationPipe } from './common/validation';
import { memoizeValidationMetadata } from './common/validation-metadata.memo';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { registerAccessLog } from './logging/access-log.hook';
import { QuietFrameworkLogger } from './logging/quiet-framework.logger';
import { HttpMetrics } from './metrics/http-metrics';
import { StreamWsAdapter } from './streaming/transport/ws-adapter';

/**
 * Creates the application exactly as production runs it (main.ts and the e2e tests both use this): JSON body
 * parsing with the size limit, the error filter, the validation pipe, the WebSocket adapter, OpenAPI at /docs.
 *
 * HTTP runs on Fastify rather than Express: on this kind of machine a Nest route costs about 200 µs of CPU per
 * request on Fastify against about 360 µs on Express 5, and alert ingestion is bound by that CPU (bench/README.md).
 * Cross-cutting HTTP concerns are Fastify hooks, which run without Express-style middleware emulation. Fastify is
 * held at 5.12 or later by `overrides` in package.json (@nestjs/platform-fastify pins 5.11): 5.11's body parser
 * called `AsyncResource.bind` on every request, about 14 µs each on Node 20.
 */
export async function createApp(
  overrides: Record<string, string> = {},
  options: AppOptions = {},
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    routerOptions: { ignoreTrailingSlash: true },
    logger: false,
    // While closing, requests on connections still open are served (their alerts are stored before the database
    // closes) rather than refused with Fastify's own 503 body.
    return503OnClosing: false,
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(overrides, options),
    adapter,
    {
      bodyParser: false,
      bufferLogs: true,
    },
  );
  const config = app.get<AppConfig>(APP_CONFIG);
  const logger = app.get(Logger);
  app.useLogger(new QuietFrameworkLogger(logger));
  const fastify = adapter.getInstance();
  registerAccessLog(fastify, logger, config.logLevel);
  app.get(HttpMetrics).register(fastify);
  if (config.http.rateLimitPerSecond > 0) {
    const addresses = new ClientAddresses(config.http.trustedProxies);
    registerHttpRateLimit(fastify, config.http.rateLimitPerSecond, addresses);
  }
  registerJsonBodyParser(fastify, config.http.bodyLimitBytes);
  if (config.http.corsOrigins.length > 0) app.enableCors(corsOptions(config.http.corsOrigins));
  app.useGlobalFilters(new ApiExceptionFilter());
  memoizeValidationMetadata();
  app.useGlobalPipes(apiValidationPipe());
  app.useWebSocketAdapter(new StreamWsAdapter(app, config.streaming));
  setupOpenApi(app);
  // Shutdown order (SIGTERM/SIGINT and app.close() run the same Nest hooks). Nest calls each phase module by
  // module: the root module first, then feature modules in reverse import order, the global ones (events, then
  // storage) last; then, between beforeApplicationShutdown and onApplicationShutdown, it closes the WebSocket
  // server (terminating any client left) and the HTTP server.
  // 1. onModuleDestroy, root: HttpShutdownService stops the listener (no new HTTP or WebSocket connection), answers
  //    the requests in flight with `Connection: close` (their events are committed and published), closes idle
  //    keep-alive connections. Then ConnectionService refuses new WebSockets; listeners and timers stop.
  // 2. beforeApplicationShutdown: the playbook runner, escalation scheduler and notification queue stop (their
  //    modules are imported after StreamingModule); then StreamShutdownService publishes the shutdown
  //    `system_event` behind everything committed and writes each client's queue, that event last, `closing`,
  //    1001.
  // 3. Nest closes the WebSocket and HTTP servers: nothing is left on them.
  // 4. onApplicationShutdown: EventPublisher commits what is queued, then refuses work; the database closes last.
  app.enableShutdownHooks();
  return app;
}

function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, createOpenApiDocument(app), { jsonDocumentUrl: 'docs/json' });
}
