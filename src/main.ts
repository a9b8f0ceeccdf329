import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import { createApp } from './app.setup';
import { APP_CONFIG, AppConfig } from './config/app-config';
import { readEnvironment } from './config/environment';
import { ConfigValidationError, loadConfig } from './config/load-config';

async function bootstrap(): Promise<void> {
  // Validate the environment (and .env) before anything else starts: an invalid value stops the server naming
  // the variable.
  try {
    loadConfig(readEnvironment());
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp();
  const config = app.get<AppConfig>(APP_CONFIG);
  installShutdownDeadline(config.http.shutdownGraceMs);
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address() as AddressInfo;
  const logger = new Logger('Bootstrap');
  logger.log({
    msg: `listening on ${config.http.host}:${address.port}, WebSocket path ${config.streaming.path}, store ${describeStore(config.database.url)}, auth ${config.auth.mode}`,
    auth_mode: config.auth.mode,
    host: config.http.host,
    port: address.port,
    ws_path: config.streaming.path,
    store: describeStore(config.database.url),
  });
  if (config.auth.mode === 'none') {
    logger.warn('AUTH_MODE=none: every route and the stream are open to anyone who can reach this port');
  }
}

/** The store as a log may show it: the SQLite file, or the PostgreSQL server and database without credentials. */
function describeStore(url: string): string {
  if (url.startsWith('file:')) return `sqlite ${url.slice('file:'.length)}`;
  const parsed = new URL(url);
  return `postgresql ${parsed.host}${parsed.pathname}`;
}

/** If graceful shutdown hangs (a stuck client, a dead database), exit anyway after the grace period. */
function installShutdownDeadline(graceMs: number): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => setTimeout(() => process.exit(1), graceMs).unref());
  }
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
