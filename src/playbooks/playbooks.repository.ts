import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';
import { DefinitionStore } from '../storage/definition.store';
import type { Playbook } from './playbook';

@Injectable()
export class PlaybooksRepository extends DefinitionStore<Playbook> {
  constructor(database: DatabaseService) {
    super(database, 'playbooks');
  }
}
