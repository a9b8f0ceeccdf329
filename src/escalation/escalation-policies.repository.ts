import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';
import { DefinitionStore } from '../storage/definition.store';
import type { EscalationPolicy } from './escalation-policy';

@Injectable()
export class EscalationPoliciesRepository extends DefinitionStore<EscalationPolicy> {
  constructor(database: DatabaseService) {
    super(database, 'escalation_policies');
  }
}
