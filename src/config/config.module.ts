import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from './app-config';
import { readEnvironment } from './environment';
import { loadConfig } from './load-config';

/**
 * Provides the validated AppConfig under APP_CONFIG. `forRoot()` reads the process environment over `.env` (the
 * only place that does); tests pass overrides, which are validated exactly like the environment.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(overrides: Record<string, string> = {}): DynamicModule {
    const config: AppConfig = loadConfig({ ...readEnvironment(), ...overrides });
    return {
      module: ConfigModule,
      providers: [{ provide: APP_CONFIG, useValue: config }],
      exports: [APP_CONFIG],
    };
  }
}
