import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';
import type { Executor } from '../storage/database.types';
import { PlaybookRun, RunStatus } from './playbook';

/** Playbook runs: the run document plus the columns we look them up by. */
@Injectable()
export class PlaybookRunsRepository {
  constructor(private readonly database: DatabaseService) {}

  /** Whether runs are leased: on PostgreSQL, where several nodes may share the database. */
  get leased(): boolean {
    return this.database.dialect === 'postgres';
  }

  /** Stores a new run, leased until `leaseUntil` by the node that will run it. */
  async insert(
    run: PlaybookRun,
    leaseUntil: string | null = null,
    executor: Executor = this.database.db,
  ): Promise<void> {
    await executor
      .insertInto('playbook_runs')
      .values({ ...toRow(run), lease_until: leaseUntil })
      .execute();
  }

  /** Extends the lease of these runs (this node's, still unfinished) to `until`. */
  async renewLeases(ids: readonly string[], until: string): Promise<void> {
    if (ids.length === 0) return;
    await this.database.db
      .updateTable('playbook_runs')
      .set({ lease_until: until })
      .where('id', 'in', ids)
      .where('status', 'in', [RunStatus.Queued, RunStatus.Running])
      .execute();
  }

  /** Unfinished runs whose lease expired at `now` (or that were never leased): their node stopped or died. */
  async abandoned(now: string): Promise<PlaybookRun[]> {
    const rows = await this.database.db
      .selectFrom('playbook_runs')
      .select('document')
      .where('status', 'in', [RunStatus.Queued, RunStatus.Running])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('created_at', 'asc')
      .execute();
    return rows.map((r) => JSON.parse(r.document) as PlaybookRun);
  }

  /**
   * Takes over an abandoned run (its lease still expired at `now`) until `until`: true for the one node whose
   * conditional update matched, so that a run is interrupted once however many nodes find it abandoned.
   */
  async claimAbandoned(id: string, now: string, until: string): Promise<boolean> {
    const result = await this.database.db
      .updateTable('playbook_runs')
      .set({ lease_until: until })
      .where('id', '=', id)
      .where('status', 'in', [RunStatus.Queued, RunStatus.Running])
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
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
