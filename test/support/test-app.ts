import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppOptions } from '../../src/app.module';
import { createApp } from '../../src/app.setup';

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  wsUrl: string;
  dbPath: string;
  /** Closes the app; the database file is kept until `cleanup`. */
  close(): Promise<void>;
  /** Closes the app (if open) and removes the temporary database directory. */
  cleanup(): Promise<void>;
}

/**
 * Starts the real application (createApp -> AppModule) on a random port with a fresh SQLite file in a temporary
 * directory. Pass `dbPath` to reopen an existing file (restart tests), and `options.clock` (a ManualClock) to
 * move time instead of waiting for it.
 */
export async function startTestApp(
  overrides: Record<string, string> = {},
  existing?: { dbPath: string; dir: string },
  options: AppOptions = {},
): Promise<TestApp & { dir: string }> {
  const dir = existing?.dir ?? mkdtempSync(join(tmpdir(), 'llm-im-test-'));
  const dbPath = existing?.dbPath ?? join(dir, 'incidents.db');
  const app = await createApp(
    {
      LOG_LEVEL: 'silent',
      // The original's open protocol: specs about authentication switch it on themselves.
      AUTH_MODE: 'none',
      DATABASE_URL: `file:${dbPath}`,
      PORT: '0',
      // Tests receive webhooks on 127.0.0.1; the outgoing-request guard is tested with this set to 'false'.
      WEBHOOK_ALLOW_PRIVATE: 'true',
      ...overrides,
    },
    options,
  );
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  let open = true;
  const close = async (): Promise<void> => {
    if (!open) return;
    open = false;
    await app.close();
  };
  return {
    app,
    dir,
    dbPath,
    baseUrl,
    wsUrl: `ws://127.0.0.1:${address.port}${overrides.WS_PATH ?? '/ws'}`,
    close,
    cleanup: async () => {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
