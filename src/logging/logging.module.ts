import { Module } from '@nestjs/common';
import { hostname } from 'node:os';
import { LoggerModule, Params } from 'nestjs-pino';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** nestjs-pino's options for `config`. */
export function loggerParams(config: AppConfig): Params {
  return {
    forRoutes: [],
    pinoHttp: {
      level: config.logLevel,
      autoLogging: false,
      // pino's own base fields, and the node's name (NODE_NAME) to tell the nodes of a cluster apart.
      base: { pid: process.pid, hostname: hostname(), node: config.nodeName },
      redact: ['req.headers.authorization', 'req.headers.cookie'],
    },
  };
}

/**
 * Structured JSON logs (pino) for every application log call. Requests are logged by accessLogMiddleware
 * (app.setup.ts), so pino-http's own per-request middleware is mounted on no route.
 */
@Module({
  imports: [LoggerModule.forRootAsync({ inject: [APP_CONFIG], useFactory: loggerParams })],
})
export class LoggingModule {}
