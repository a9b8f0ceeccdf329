import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';
import type { Executor } from '../storage/database.types';
import { PlaybookRun, RunStatus } from './playbook';

/** Playbook runs: the run document plus the columns we look them up by. */
@Injectable()
export class PlaybookRunsRepository {
  constructor(private readonly database: DatabaseService) {}

  async insert(run: PlaybookRun, executor: Executor = this.database.db): Promise<void> {
    await executor.insertInto('playbook_runs').values(toRow(run)).execute();
  }

  async update(run: PlaybookRun, executor: Executor = this.database.db): Promise<void> {
    const { id, ...columns } = toRow(run);
    await executor.updateTable('playbook_runs').set(columns).where('id', '=', id).execute();
  }

  async get(id: string): Promise<PlaybookRun | undefined> {
    const row = await this.database.db
      .selectFrom('playbook_runs')
      .select('document')
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? (JSON.parse(row.document) as PlaybookRun) : undefined;
  }

  /** The incident's runs in the order they were queued. */
  async forIncident(incidentId: string): Promise<PlaybookRun[]> {
    const rows = await this.database.db
      .selectFrom('playbook_runs')
      .select('document')
      .where('incident_id', '=', incidentId)
      .orderBy('created_at', 'asc')
      .orderBy('id', 'asc')
      .execute();
    return rows.map((r) => JSON.parse(r.document) as PlaybookRun);
  }

  /** Runs that were queued or running when the server last stopped. */
  async unfinished(): Promise<PlaybookRun[]> {
    const rows = await this.database.db
      .selectFrom('playbook_runs')
      .select('document')
      .where('status', 'in', [RunStatus.Queued, RunStatus.Running])
      .orderBy('created_at', 'asc')
      .execute();
    return rows.map((r) => JSON.parse(r.document) as PlaybookRun);
  }
}

function toRow(run: PlaybookRun) {
  return {
    id: run.id,
    incident_id: run.incident_id,
    playbook_id: run.playbook_id,
    status: run.status,
    created_at: run.created_at,
    finished_at: run.finished_at,
    document: JSON.stringify(run),
  };
}
