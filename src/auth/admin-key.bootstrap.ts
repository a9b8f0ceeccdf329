import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { APP_CONFIG, AppConfig, AuthConfig } from '../config/app-config';
import { generateApiKey } from './api-key';
import { ApiKeysService } from './api-keys.service';
import { Scope } from './scopes';

export const BOOTSTRAP_KEY_NAME = 'admin';

/**
 * The first credential (contract section 6): with AUTH_MODE=required, no JWT configured and no API key stored, a
 * server would accept nobody, so at start it creates one `admin` key and writes it to ADMIN_KEY_FILE (mode 0600).
 * The log says where the key is, never the key.
 */
@Injectable()
export class AdminKeyBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminKeyBootstrap.name);
  private readonly config: AuthConfig;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly apiKeys: ApiKeysService,
  ) {
    this.config = config.auth;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { mode, jwtSecret, jwksFile } = this.config;
    if (mode !== 'required' || jwtSecret !== null || jwksFile !== null) return;
    await this.apiKeys.ensureLoaded();
    if (this.apiKeys.hasAny()) return;
    const path = resolve(this.config.adminKeyFile);
    // Checked again under a cluster-wide lock: nodes starting together on an empty database would otherwise each
    // make a key (and, writing one shared file, leave it holding a key that the name's unique index refused).
    await this.apiKeys.whileNoKeyExists(async () => {
      const key = generateApiKey();
      // Written before it is stored: a key stored but never written down would lock everyone out for good (a key
      // exists, so no later start makes another).
      writeSecretFile(path, key);
      await this.apiKeys.create({ name: BOOTSTRAP_KEY_NAME, scopes: [Scope.Admin] }, key);
      this.logger.warn(
        `No credential configured: created the API key "${BOOTSTRAP_KEY_NAME}"; it is in ${path}`,
      );
    });
  }
}

/**
 * Writes `content` to a file only its owner may read. An existing file is removed first rather than overwritten,
 * since overwriting keeps its (possibly wider) mode; `wx` then refuses a file that reappeared in between.
 */
function writeSecretFile(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  rmSync(path, { force: true });
  writeFileSync(path, `${content}\n`, { mode: 0o600, flag: 'wx' });
}
