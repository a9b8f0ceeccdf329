import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../storage/database.service';
import type { Executor, Tx } from '../storage/database.types';
import { EscalationState, EscalationStatus, StopReason } from './escalation-policy';

/** Per-incident escalation schedules. The due index is (status, next_due_at). */
@Injectable()
export class EscalationStatesRepository {
  constructor(private readonly database: DatabaseService) {}

  /**
   * Whether other nodes may write escalations too (PostgreSQL): then this node's memory of which incidents have an
   * active escalation misses those another node attached.
   */
  get shared(): boolean {
    return this.database.dialect === 'postgres';
  }

  async get(incidentId: string, executor: Executor = this.database.db): Promise<EscalationState | undefined> {
    const row = await executor
      .selectFrom('escalation_states')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .executeTakeFirst();
    return row ? (row as EscalationState) : undefined;
  }

  /**
   * `get` that claims the row for the rest of the transaction: on PostgreSQL `FOR UPDATE`, so that when two nodes
   * fire the same due level, the second waits for the first to commit and then reads the row it advanced (READ
   * COMMITTED re-reads a locked row), finding it no longer due. SQLite has one writer, the transaction itself.
   */
  async claim(incidentId: string, tx: Tx): Promise<EscalationState | undefined> {
    let query = tx.selectFrom('escalation_states').selectAll().where('incident_id', '=', incidentId);
    if (this.database.dialect === 'postgres') query = query.forUpdate();
    const row = await query.executeTakeFirst();
    return row ? (row as EscalationState) : undefined;
  }

  /**
   * Stores a new escalation; false when the incident already has one (another node attached it meanwhile, e.g. two
   * nodes reconciling at start), which is kept.
   */
  async insert(state: EscalationState, executor: Executor): Promise<boolean> {
    const result = await executor
      .insertInto('escalation_states')
      .values(state)
      .onConflict((oc) => oc.column('incident_id').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async delete(incidentId: string, executor: Executor): Promise<void> {
    await executor.deleteFrom('escalation_states').where('incident_id', '=', incidentId).execute();
  }

  async advance(
    executor: Executor,
    incidentId: string,
    next: { levelIndex: number; repeatRound: number; dueAt: string },
    now: string,
  ): Promise<void> {
    await executor
      .updateTable('escalation_states')
      .set({
        level_index: next.levelIndex,
        repeat_round: next.repeatRound,
        next_due_at: next.dueAt,
        updated_at: now,
      })
      .where('incident_id', '=', incidentId)
      .where('status', '=', EscalationStatus.Active)
      .execute();
  }

  /** Cancels every active escalation that follows this policy (disabled or deleted); returns their incident ids. */
  async cancelForPolicy(
    executor: Executor,
    policyId: string,
    reason: StopReason,
    now: string,
  ): Promise<string[]> {
    const rows = await executor
      .updateTable('escalation_states')
      .set({ status: EscalationStatus.Cancelled, stop_reason: reason, next_due_at: null, updated_at: now })
      .where('policy_id', '=', policyId)
      .where('status', '=', EscalationStatus.Active)
      .returning('incident_id')
      .execute();
    return rows.map((r) => r.incident_id);
  }

  async finish(
    executor: Executor,
    incidentId: string,
    status: Exclude<EscalationStatus, 'active'>,
    reason: StopReason | null,
    now: string,
  ): Promise<void> {
    await executor
      .updateTable('escalation_states')
      .set({ status, stop_reason: reason, next_due_at: null, updated_at: now })
      .where('incident_id', '=', incidentId)
      .where('status', '=', EscalationStatus.Active)
      .execute();
  }

  /** Active escalations due at or before `now`, earliest first. */
  async due(now: string, limit: number): Promise<EscalationState[]> {
    const rows = await this.database.db
      .selectFrom('escalation_states')
      .selectAll()
      .where('status', '=', EscalationStatus.Active)
      .where('next_due_at', '<=', now)
      .orderBy('next_due_at', 'asc')
      .limit(limit)
      .execute();
    return rows as EscalationState[];
  }

  /** When the earliest active escalation is due, or null when none is active. */
  async nextDueAt(): Promise<string | null> {
    const row = await this.database.db
      .selectFrom('escalation_states')
      .select((eb) => eb.fn.min('next_due_at').as('due'))
      .where('status', '=', EscalationStatus.Active)
      .executeTakeFirst();
    return row?.due ?? null;
  }

  async activeIncidentIds(): Promise<string[]> {
    const rows = await this.database.db
      .selectFrom('escalation_states')
      .select('incident_id')
      .where('status', '=', EscalationStatus.Active)
      .execute();
    return rows.map((r) => r.incident_id);
  }

  /** Which of these incidents already have an escalation (in any status). */
  async existing(incidentIds: string[]): Promise<Set<string>> {
    if (incidentIds.length === 0) return new Set();
    const rows = await this.database.db
      .selectFrom('escalation_states')
      .select('incident_id')
      .where('incident_id', 'in', incidentIds)
      .execute();
    return new Set(rows.map((r) => r.incident_id));
  }
}
