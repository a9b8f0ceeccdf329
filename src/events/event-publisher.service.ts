import { Injectable, OnApplicationShutdown, OnModuleInit, ServiceUnavailableException } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CompiledQuery } from 'kysely';
import { Clock } from '../clock/clock';
import type { Incident } from '../domain';
import { DatabaseService } from '../storage/database.service';
import type { Tx } from '../storage/database.types';
import type { DirectStatements } from '../storage/direct-statements';
import { PrecompiledQuery } from '../storage/precompiled-query';
import { BroadcasterService } from './broadcaster.service';
import type { EventEnvelope } from './event-envelope';
import { priorityOf } from './event-priority';
import { EventLogRepository } from './event-log.repository';
import type { DomainEvent } from './event.types';
import { MatchSubjects, matchSubjectsOf } from './match-subject';

/** Collects the events of one unit of work; they are stored with it and published only after it commits. */
export interface EventRecorder {
  /**
   * Records an event. `incident` is the incident the event concerns, as it is after the change (null if none);
   * the streaming filter matches incident-scoped events against it. `previous` is the same incident as it was
   * before the change, for a change that may move it out of a filtered view (`incident_updated`,
   * `incident_resolved`, `incident_closed`, `escalated`): a subscriber whose filters matched it before learns that it
   * left (contract section 7).
   */
  record(event: DomainEvent, incident: Incident | null, previous?: Incident | null): void;
}

export type UnitOfWork<T> = (tx: Tx, events: EventRecorder) => Promise<T>;

interface PendingEvent {
  id: string;
  event: DomainEvent;
  /** `event` as JSON; set when the batch is appended to the log. */
  json: string;
  /** What filters match it against; set with `json`. */
  subjects: MatchSubjects | null;
  incident: Incident | null;
  previous: Incident | null;
  timestamp: string;
}

interface QueuedUnit {
  work: UnitOfWork<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** A read that must see the stored state exactly as of the last published event (see `atQuiescentPoint`). */
interface QueuedRead {
  read: (head: number) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Queued = QueuedUnit | QueuedRead;

type Outcome = { ok: true; value: unknown; events: PendingEvent[] } | { ok: false; error: unknown };

/** A unit of work's savepoint: the same SQL in both dialects, run without Kysely on SQLite (DirectStatements). */
interface Savepoints {
  begin: PrecompiledQuery<never, never>;
  release: PrecompiledQuery<never, never>;
  rollback: PrecompiledQuery<never, never>;
}

function savepoints(direct: DirectStatements | null): Savepoints {
  const statement = (text: string) =>
    PrecompiledQuery.build<never, never>(() => CompiledQuery.raw(text), direct);
  return {
    begin: statement('savepoint unit_of_work'),
    release: statement('release savepoint unit_of_work'),
    rollback: statement('rollback to savepoint unit_of_work'),
  };
}

/**
 * PostgreSQL only: the transaction-scoped advisory lock every node takes just before appending to the event log
 * (the key is an arbitrary constant that nothing else locks). `event_log.sequence` is a `serial`: without it,
 * node A could draw sequence 7, node B 8, and B commit first, so that a reader (a REST poll with `after_sequence`,
 * a stream's catch-up, the cross-node bus) would see 8 before 7 and a resume from 8 would skip 7 forever. Under the
 * lock, sequences are drawn and committed one transaction at a time across every node, hence in commit order
 * (contract section 11): the lock is released at commit, after the rows became visible, and the next transaction
 * draws its sequences only once it holds the lock. Taken as late as possible, after the units of work ran, so it is
 * held only for the insert and the commit (see README, Architecture). SQLite has one writer and needs none.
 */
export const EVENT_LOG_APPEND_LOCK = CompiledQuery.raw('select pg_advisory_xact_lock(7212004017550923601)');

/** Most units of work committed together. Batching only happens when writers queue up, so it adds no latency. */
const MAX_BATCH = 64;

/**
 * The one way to change domain state: `run(work)` executes `work` in a database transaction, appends the events it
 * recorded to the event log in that same transaction, commits, then publishes them through the broadcaster.
 * Nothing is published for a change that was not stored.
 *
 * Units of work are serialized in-process, so the log sequence order is the publish order. Under load, the units
 * waiting in the queue are committed together (group commit): each runs inside its own savepoint, so one that
 * fails is rolled back alone and rejected, while the others commit in one transaction with one log append.
 */
@Injectable()
export class EventPublisher implements OnModuleInit, OnApplicationShutdown {
  private readonly queue: Queued[] = [];
  private draining = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  /** Whether appends take EVENT_LOG_APPEND_LOCK: on PostgreSQL, where several nodes may write. */
  private readonly serializeAppends: boolean;
  private readonly savepoints: Savepoints;

  constructor(
    private readonly clock: Clock,
    private readonly database: DatabaseService,
    private readonly eventLog: EventLogRepository,
    private readonly broadcaster: BroadcasterService,
  ) {
    this.serializeAppends = database.dialect === 'postgres';
    this.savepoints = savepoints(database.directStatements);
  }

  /** Sequences continue after the stored log's head, so the broadcaster knows where the log stands from the start. */
  async onModuleInit(): Promise<void> {
    this.broadcaster.startAfter(await this.eventLog.lastSequence());
  }

  run<T>(work: UnitOfWork<T>): Promise<T> {
    return this.enqueue<T>((resolve, reject) => ({ work, resolve, reject }));
  }

  /**
   * Runs `read` between two commits, with `head` the sequence of the last event published: no unit of work
   * commits while it runs, so what it reads is the stored state exactly as of `head` (a snapshot that the stream
   * continues from `head + 1` with nothing in between). Writers wait for it: keep it short.
   */
  atQuiescentPoint<T>(read: (head: number) => Promise<T>): Promise<T> {
    return this.enqueue<T>((resolve, reject) => ({ read, resolve, reject }));
  }

  private enqueue<T>(
    entry: (resolve: (value: unknown) => void, reject: (error: unknown) => void) => Queued,
  ): Promise<T> {
    if (this.closed) return Promise.reject(new ServiceUnavailableException('Server is shutting down'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push(entry(resolve as (value: unknown) => void, reject));
      if (!this.draining) {
        this.draining = true;
        // Start on the next loop turn, so that every request read in this I/O phase joins the same batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Units of work waiting to run (a gauge for load). */
  get backlog(): number {
    return this.queue.length;
  }

  /**
   * Runs after the HTTP server has stopped and finished its in-flight requests, and before the database closes
   * (global modules shut down last): lets every queued unit of work commit, then refuses new ones.
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.draining || this.queue.length > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    this.closed = true;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0];
        if ('read' in head) {
          this.queue.shift();
          await this.runRead(head);
          continue;
        }
        // Units up to the next read (or MAX_BATCH) commit together; a read waits for the commit before it.
        let count = 1;
        while (count < this.queue.length && count < MAX_BATCH && !('read' in this.queue[count])) count += 1;
        await this.runBatch(this.queue.splice(0, count) as QueuedUnit[]);
      }
    } finally {
      this.draining = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  private async runRead(entry: QueuedRead): Promise<void> {
    try {
      entry.resolve(await entry.read(this.broadcaster.head));
    } catch (error) {
      entry.reject(error);
    }
  }

  private async runBatch(batch: QueuedUnit[]): Promise<void> {
    const outcomes: Outcome[] = [];
    let sequences: number[] = [];
    const isolated = batch.length > 1;
    try {
      await this.database.db.transaction().execute(async (tx) => {
        for (const unit of batch) outcomes.push(await this.runUnit(tx, unit, isolated));
        const stored = outcomes.flatMap((o) => (o.ok ? o.events : []));
        // Serialized once, after every unit ran: the log stores this text and every frame embeds it. The match
        // subjects are stored too, so that a replay matches each event exactly as the live stream did.
        for (const p of stored) {
          p.json = JSON.stringify(p.event);
          p.subjects = matchSubjectsOf(p.event, p.incident, p.previous);
        }
        if (stored.length > 0 && this.serializeAppends) await tx.executeQuery(EVENT_LOG_APPEND_LOCK);
        sequences = await this.eventLog.append(
          tx,
          stored.map((p) => ({
            id: p.id,
            event: p.event,
            payload: p.json,
            matchSubjects: JSON.stringify(p.subjects),
            incidentId: p.incident?.id ?? incidentIdOf(p.event),
            incidentCreatedAt: p.incident?.created_at ?? null,
            createdAt: p.timestamp,
          })),
        );
      });
    } catch (error) {
      // The transaction did not commit: nothing of this batch is stored, so every unit fails.
      batch.forEach((unit, i) => {
        const outcome = outcomes[i];
        unit.reject(outcome && !outcome.ok ? outcome.error : error);
      });
      return;
    }

    const publishedAt = performance.now();
    let next = 0;
    batch.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (!outcome.ok) {
        unit.reject(outcome.error);
        return;
      }
      for (const p of outcome.events) this.broadcaster.publish(toEnvelope(p, sequences[next++], publishedAt));
      unit.resolve(outcome.value);
    });
    if (next > 0) this.broadcaster.commitPublished();
  }

  /** Runs one unit; when it shares the transaction with others, inside a savepoint so its failure is its own. */
  private async runUnit(tx: Tx, unit: QueuedUnit, isolated: boolean): Promise<Outcome> {
    const events: PendingEvent[] = [];
    const recorder: EventRecorder = {
      record: (event, incident, previous = null) =>
        events.push({
          id: randomUUID(),
          event,
          json: '',
          subjects: null,
          incident,
          previous,
          timestamp: this.clock.nowIso(),
        }),
    };
    if (!isolated) return { ok: true, value: await unit.work(tx, recorder), events };
    const { begin, release, rollback } = this.savepoints;
    await begin.run(tx, {});
    try {
      const value = await unit.work(tx, recorder);
      await release.run(tx, {});
      return { ok: true, value, events };
    } catch (error) {
      await rollback.run(tx, {});
      await release.run(tx, {});
      return { ok: false, error };
    }
  }
}

function toEnvelope(p: PendingEvent, sequence: number, publishedAt: number): EventEnvelope {
  return {
    id: p.id,
    sequence,
    timestamp: p.timestamp,
    event: p.event,
    eventJson: p.json,
    priority: priorityOf(p.event),
    incident: p.incident,
    previous: p.previous,
    subjects: p.subjects ?? matchSubjectsOf(p.event, p.incident, p.previous),
    publishedAt,
  };
}

function incidentIdOf(event: DomainEvent): string | null {
  if ('incident_id' in event && typeof event.incident_id === 'string') return event.incident_id;
  if ('incident' in event) return event.incident.id;
  if ('alert' in event) return event.alert.incident_id;
  return null;
}
