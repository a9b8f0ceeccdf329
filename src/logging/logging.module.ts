import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { APP_CONFIG, AppConfig } from '../config/app-config';

/** Structured JSON logs (pino), one line per HTTP request and per application log call. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          autoLogging: { ignore: (req) => req.url === '/metrics' || (req.url ?? '').startsWith('/health') },
          // Failures are logged at info; successful requests only at debug, so that an alert storm does not turn
          // into a log storm (the request counters and latency histogram at /metrics still see every request).
          customLogLevel: (_req, res, error) => {
            if (error || res.statusCode >= 500) return 'error';
            return res.statusCode >= 400 ? 'warn' : 'debug';
          },
          redact: ['req.headers.authorization', 'req.headers.cookie'],
        },
      }),
    }),
  ],
})
export class LoggingModule {}
