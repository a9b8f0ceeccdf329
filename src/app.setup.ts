import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { httpRateLimitMiddleware } from './common/http-rate-limit.middleware';
import { jsonBodyMiddleware } from './common/json-body.middleware';
import { apiValidationPipe } from './common/validation';
import { accessLogMiddleware } from './logging/access-log.middleware';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { StreamWsAdapter } from './streaming/ws-adapter';

/**
 * Creates the application exactly as production runs it (main.ts and the e2e tests both use this): JSON body
 * parsing with the size limit, the error filter, the validation pipe, the WebSocket adapter, OpenAPI at /docs.
 */
export async function createApp(overrides: Record<string, string> = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(overrides), {
    bodyParser: false,
    bufferLogs: true,
  });
  const config = app.get<AppConfig>(APP_CONFIG);
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.disable('x-powered-by');
  app.use(accessLogMiddleware(logger, config.logLevel));
  if (config.http.rateLimitPerSecond > 0) app.use(httpRateLimitMiddleware(config.http.rateLimitPerSecond));
  app.use(jsonBodyMiddleware(config.http.bodyLimitBytes));
  app.useGlobalFilters(new ApiExceptionFilter());
  app.useGlobalPipes(apiValidationPipe());
  app.useWebSocketAdapter(new StreamWsAdapter(app, config.streaming));
  setupOpenApi(app);
  app.enableShutdownHooks();
  return app;
}

function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('LLM Incident Manager')
      .setDescription(
        'Alert ingestion, deduplication into incidents, incident lifecycle. Real-time streams: GET /ws (see README).',
      )
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
}
