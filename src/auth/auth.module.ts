import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AccessGuard } from './access.guard';
import { AuthMetrics } from './auth-metrics';
import { AdminKeyBootstrap } from './admin-key.bootstrap';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { AuthService } from './auth.service';
import { JwtVerifier } from './jwt-verifier';

/**
 * Credentials: API keys (REST, storage, the in-memory check) and JWTs. Global: the HTTP guard and the WebSocket
 * upgrade authenticate through AuthService; the WebSocket side also follows ApiKeysService.revoked$.
 */
@Global()
@Module({
  controllers: [ApiKeysController],
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    JwtVerifier,
    AuthService,
    AdminKeyBootstrap,
    AuthMetrics,
    // Every HTTP route's declared access, applied to every request.
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [AuthService, ApiKeysService, AuthMetrics],
})
export class AuthModule {}
