import { Global, Module } from '@nestjs/common';
import { DefinitionInvalidationService } from './definition-invalidation.service';

/** What several nodes on one PostgreSQL database coordinate beyond the event bus: the definitions they cache. */
@Global()
@Module({ providers: [DefinitionInvalidationService], exports: [DefinitionInvalidationService] })
export class ClusterModule {}
