import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter } from 'prom-client';
import { Clock } from '../clock/clock';
import { ApiException, ErrorCode, InvalidStateTransitionError, NotFoundError } from '../common/api-error';
import {
  IncidentConstraint,
  constrainsDocument,
  incidentMatchesConstraint,
} from '../common/incident-constraint';
import {
  ESCALATION_TRIGGERS,
  EscalationTrigger,
  Incident,
  IncidentNote,
  SEVERITIES,
  isActiveState,
  isMoreSevere,
} from '../domain';
import { EventPublisher, EventRecorder } from '../events/event-publisher.service';
import { EventType } from '../events/event.types';
import { IncidentOrigin, Metric } from '../metrics/metric-names';
import { zeroSeries } from '../metrics/zero-series';
import type { Tx } from '../storage/database.types';
import { AddCommentDto } from './dto/add-comment.dto';
import { CreateIncidentDto } from './dto/create-incident.dto';
import { EscalateIncidentDto } from './dto/escalate-incident.dto';
import { ListIncidentsQuery } from './dto/list-incidents.query';
import { ResolveIncidentDto } from './dto/resolve-incident.dto';
import { UpdateIncidentDto } from './dto/update-incident.dto';
import {
  addNote,
  assertNotClosed,
  changeAssignees,
  changeLabels,
  changeSeverity,
  changeState,
  createIncident,
  resolveIncident,
  ResolveInput,
  snapshotIncident,
} from './incident-lifecycle';
import { IncidentStatsService } from './incident-stats.service';
import { IncidentQuery, IncidentsRepository, ScanCursor } from './incidents.repository';

export interface IncidentPage {
  incidents: Incident[];
  total: number;
  page: number;
  page_size: number;
}

const DEFAULT_ACTOR = 'api';
/** A lower bound of every timestamp: finds an active incident by fingerprint however long ago it last heard of it. */
const ANY_TIME = '0000-01-01T00:00:00.000Z';

/** Incidents read per query when a constrained listing is matched in memory. */
const SCAN_BATCH = 500;

/**
 * Incident use cases. Every change runs as one unit of work: load, apply the lifecycle rule, store, record the
 * events; EventPublisher stores the events with the change and publishes them after commit.
 */
@Injectable()
export class IncidentsService {
  constructor(
    private readonly clock: Clock,
    private readonly publisher: EventPublisher,
    private readonly incidents: IncidentsRepository,
    private readonly stats: IncidentStatsService,
    @InjectMetric(Metric.IncidentsCreated) private readonly createdCounter: Counter<string>,
    @InjectMetric(Metric.Escalations) private readonly escalations: Counter<string>,
  ) {
    zeroSeries(createdCounter, { severity: SEVERITIES, origin: [IncidentOrigin.Api] });
    zeroSeries(escalations, { trigger: ESCALATION_TRIGGERS });
  }

  /** Creates an incident; a constrained credential may only create one inside its constraint (else 403). */
  async create(dto: CreateIncidentDto, constraint: IncidentConstraint | null = null): Promise<Incident> {
    const incident = await this.publisher.run(async (tx, events) => {
      const created = createIncident(
        {
          source: dto.source,
          title: dto.title,
          description: dto.description,
          severity: dto.severity,
          incident_type: dto.incident_type,
          affected_resources: dto.affected_resources ?? [],
          labels: dto.labels ?? {},
          fingerprint: null,
        },
        this.clock.nowIso(),
      );
      if (constraint !== null && !incidentMatchesConstraint(created, constraint)) {
        throw new ApiException(
          ErrorCode.Authorization,
          "The incident would be outside the credential's constraint",
          403,
        );
      }
      await this.incidents.insert(tx, created);
      events.record({ event_type: EventType.IncidentCreated, incident: created }, created);
      return created;
    });
    this.stats.created(incident);
    this.createdCounter.inc({ severity: incident.severity, origin: IncidentOrigin.Api });
    return incident;
  }

  /**
   * The incident; 404 when there is none or when it lies outside the caller's constraint (the same answer: a
   * constrained caller never learns that an incident outside exists).
   */
  async get(id: string, constraint: IncidentConstraint | null = null): Promise<Incident> {
    const incident = await this.incidents.get(id);
    if (!incident || (constraint !== null && !incidentMatchesConstraint(incident, constraint))) {
      throw new NotFoundError(`Incident ${id}`);
    }
    return incident;
  }

  /** Whether the incident exists and lies inside the constraint (for reads of what belongs to an incident). */
  async isVisible(id: string, constraint: IncidentConstraint): Promise<boolean> {
    const incident = await this.incidents.get(id);
    return incident !== undefined && incidentMatchesConstraint(incident, constraint);
  }

  /**
   * One page of incidents, newest first; with a constraint, only those inside it, counted in `total` too. The
   * constraint's severities, states, sources and ids are SQL conditions. Labels and affected resources are kept
   * inside the JSON document, whose functions differ between SQLite and PostgreSQL, so a constraint on them is
   * matched in memory: the SQL-expressible candidates are read in batches, newest first, counting matches and
   * keeping the requested page. Its cost is one pass over the candidates per request (a JSON parse each, about
   * 10-20 µs), whatever the page: fine for thousands of incidents, to be revisited (a label table) beyond that.
   */
  async list(query: ListIncidentsQuery, constraint: IncidentConstraint | null = null): Promise<IncidentPage> {
    const filters: IncidentQuery = {
      page: query.page,
      pageSize: query.page_size,
      activeOnly: query.active_only,
      states: query.state,
      severities: query.severity,
      sources: query.source,
    };
    if (constraint !== null) filters.constraint = constraint;
    const { incidents, total } =
      constraint !== null && constrainsDocument(constraint)
        ? await this.listMatching(filters, constraint)
        : await this.incidents.list(filters);
    return { incidents, total, page: query.page, page_size: query.page_size };
  }

  private async listMatching(
    filters: IncidentQuery,
    constraint: IncidentConstraint,
  ): Promise<{ incidents: Incident[]; total: number }> {
    const from = filters.page * filters.pageSize;
    const to = from + filters.pageSize;
    const incidents: Incident[] = [];
    let total = 0;
    let cursor: ScanCursor | null = null;
    for (;;) {
      const batch = await this.incidents.scan(filters, cursor, SCAN_BATCH);
      for (const incident of batch) {
        if (!incidentMatchesConstraint(incident, constraint)) continue;
        if (total >= from && total < to) incidents.push(incident);
        total++;
      }
      if (batch.length < SCAN_BATCH) return { incidents, total };
      const last = batch[batch.length - 1];
      cursor = { createdAt: last.created_at, id: last.id };
    }
  }

  /** The incident as stored inside the caller's unit of work, or undefined (no 404: the caller decides). */
  find(tx: Tx, id: string): Promise<Incident | undefined> {
    return this.incidents.findById(tx, id);
  }

  /**
   * For alert ingestion, inside its unit of work: the active incident with this fingerprint opened at or after
   * `openedSince` (the deduplication window), or undefined.
   */
  findActiveByFingerprint(tx: Tx, fingerprint: string, openedSince: string): Promise<Incident | undefined> {
    return this.incidents.findActiveByFingerprint(tx, fingerprint, openedSince);
  }

  /** Stores a new incident inside the caller's unit of work (the caller records its events). */
  insert(tx: Tx, incident: Incident): Promise<void> {
    return this.incidents.insert(tx, incident);
  }

  /** Stores a changed incident inside the caller's unit of work (the caller records its events). */
  save(tx: Tx, incident: Incident): Promise<void> {
    return this.incidents.update(tx, incident);
  }

  /** Up to `limit` incidents still Detected (never acknowledged), newest first. */
  async listDetected(limit: number): Promise<Incident[]> {
    const { incidents } = await this.incidents.list({
      page: 0,
      pageSize: limit,
      activeOnly: true,
      states: ['Detected'],
      severities: [],
      sources: [],
    });
    return incidents;
  }

  /**
   * PATCH/PUT: state, severity, assignees, labels in one unit of work. Publishes incident_updated (with
   * previous_state when the state changed), then incident_resolved / incident_closed when the state became one of
   * those, assignment_changed when the assignees changed, escalated when the severity rose. Every change of
   * severity is in that one incident_updated, lowered or raised (contract section 7).
   */
  update(
    id: string,
    dto: UpdateIncidentDto,
    constraint: IncidentConstraint | null = null,
  ): Promise<Incident> {
    const actor = dto.actor ?? DEFAULT_ACTOR;
    return this.change(
      id,
      (incident, events, now, _tx, before) => {
        assertNotClosed(incident, 'update');
        const previousState = dto.state !== undefined ? changeState(incident, dto.state, actor, now) : null;
        const previousSeverity =
          dto.severity !== undefined ? changeSeverity(incident, dto.severity, actor, now) : null;
        const assigneesChanged =
          dto.assignees !== undefined && changeAssignees(incident, dto.assignees, actor, now);
        const labelsChanged = dto.labels !== undefined && changeLabels(incident, dto.labels, actor, now);
        if (previousState === null && previousSeverity === null && !assigneesChanged && !labelsChanged) {
          return false;
        }

        events.record(
          { event_type: EventType.IncidentUpdated, incident, previous_state: previousState },
          incident,
          before,
        );
        if (previousState !== null && incident.state === 'Resolved') {
          events.record({ event_type: EventType.IncidentResolved, incident }, incident, before);
        }
        if (previousState !== null && incident.state === 'Closed') {
          events.record({ event_type: EventType.IncidentClosed, incident }, incident, before);
        }
        if (assigneesChanged) {
          events.record(
            {
              event_type: EventType.AssignmentChanged,
              incident_id: incident.id,
              assignees: incident.assignees,
            },
            incident,
          );
        }
        if (previousSeverity !== null && isMoreSevere(incident.severity, previousSeverity)) {
          this.recordEscalation(incident, before, events, `Severity raised by ${actor}`, actor, now);
          this.escalations.inc({ trigger: EscalationTrigger.SeverityChange });
        }
        return true;
      },
      constraint,
    );
  }

  resolve(
    id: string,
    dto: ResolveIncidentDto & { resolved_by: string },
    constraint: IncidentConstraint | null = null,
  ): Promise<Incident> {
    return this.change(
      id,
      (incident, events, now, _tx, before) => {
        resolveIncident(
          incident,
          {
            resolved_by: dto.resolved_by,
            method: dto.method,
            notes: dto.notes,
            root_cause: dto.root_cause ?? null,
          },
          now,
        );
        events.record({ event_type: EventType.IncidentResolved, incident }, incident, before);
        return true;
      },
      constraint,
    );
  }

  /**
   * Acknowledges: a Detected incident moves to Triaged (incident_updated with previous_state; the escalation
   * listener stops its escalation, as for any move out of Detected). Any other active state is already
   * acknowledged: a no-op, nothing published. Resolved and Closed are invalid transitions (409).
   */
  acknowledge(
    id: string,
    actor: string = DEFAULT_ACTOR,
    constraint: IncidentConstraint | null = null,
  ): Promise<Incident> {
    return this.change(id, acknowledgement(actor), constraint);
  }

  /**
   * Acknowledges the active incident with this fingerprint (a sender's deduplication key), whenever it was opened:
   * as `acknowledge`. Undefined when there is none (nothing is done).
   */
  acknowledgeActiveByFingerprint(fingerprint: string, actor: string): Promise<Incident | undefined> {
    return this.changeWhere(
      (tx) => this.incidents.findActiveByFingerprint(tx, fingerprint, ANY_TIME),
      acknowledgement(actor),
    );
  }

  /**
   * Resolves the active incident with this fingerprint (a sender's deduplication key), whenever it was opened:
   * `incident_resolved`. Undefined when there is none (nothing is done).
   */
  resolveActiveByFingerprint(fingerprint: string, input: ResolveInput): Promise<Incident | undefined> {
    return this.changeWhere(
      (tx) => this.incidents.findActiveByFingerprint(tx, fingerprint, ANY_TIME),
      (incident, events, now, _tx, before) => {
        resolveIncident(incident, input, now);
        events.record({ event_type: EventType.IncidentResolved, incident }, incident, before);
        return true;
      },
    );
  }

  /** Closing a Closed incident is a no-op (200, nothing published); any other state may close. */
  close(
    id: string,
    actor: string = DEFAULT_ACTOR,
    constraint: IncidentConstraint | null = null,
  ): Promise<Incident> {
    return this.change(
      id,
      (incident, events, now, _tx, before) => {
        if (incident.state === 'Closed') return false;
        changeState(incident, 'Closed', actor, now);
        events.record({ event_type: EventType.IncidentClosed, incident }, incident, before);
        return true;
      },
      constraint,
    );
  }

  async addComment(
    id: string,
    dto: AddCommentDto & { author: string },
    constraint: IncidentConstraint | null = null,
  ): Promise<IncidentNote> {
    let note: IncidentNote | undefined;
    await this.change(
      id,
      (incident, events, now) => {
        assertNotClosed(incident, 'comment');
        note = addNote(incident, dto.author, dto.comment, now);
        events.record(
          {
            event_type: EventType.CommentAdded,
            incident_id: incident.id,
            author: note.author,
            comment: note.content,
            timestamp: note.created_at,
          },
          incident,
        );
        return true;
      },
      constraint,
    );
    if (!note) throw new Error('comment was not stored');
    return note;
  }

  /**
   * Raises the severity of an active incident; a target that is not more severe is an invalid transition.
   * Publishes incident_updated, then escalated (see `recordEscalation`).
   */
  async escalate(
    id: string,
    dto: EscalateIncidentDto,
    trigger: EscalationTrigger = EscalationTrigger.Manual,
    constraint: IncidentConstraint | null = null,
  ): Promise<Incident> {
    const actor = dto.actor ?? DEFAULT_ACTOR;
    const incident = await this.change(
      id,
      (incident, events, now, _tx, before) => {
        if (!isActiveState(incident.state)) {
          throw new InvalidStateTransitionError(
            `Cannot escalate: incident ${incident.id} is ${incident.state}`,
          );
        }
        if (!isMoreSevere(dto.to_severity, incident.severity)) {
          throw new InvalidStateTransitionError(
            `Cannot escalate from ${incident.severity} to ${dto.to_severity}: escalation must raise the severity`,
          );
        }
        changeSeverity(incident, dto.to_severity, actor, now, dto.reason);
        events.record(
          { event_type: EventType.IncidentUpdated, incident, previous_state: null },
          incident,
          before,
        );
        this.recordEscalation(incident, before, events, dto.reason, actor, now);
        return true;
      },
      constraint,
    );
    this.escalations.inc({ trigger });
    return incident;
  }

  /**
   * The Escalated timeline entry and event of a raised severity. The caller records the change's
   * incident_updated first: every producer of a severity change (PATCH, /escalate, a policy, a playbook) publishes
   * incident_updated then escalated, the order PATCH has always had (the incident's new document, then what
   * happened to it), so a client sees one order whatever raised the severity.
   */
  private recordEscalation(
    incident: Incident,
    before: Incident,
    events: EventRecorder,
    reason: string,
    actor: string,
    now: string,
  ): void {
    const from = before.severity;
    incident.timeline.push({
      timestamp: now,
      event_type: 'Escalated',
      actor,
      description: `Escalated from ${from} to ${incident.severity}${reason ? `: ${reason}` : ''}`,
      metadata: { from, to: incident.severity },
    });
    events.record(
      {
        event_type: EventType.Escalated,
        incident_id: incident.id,
        from_severity: from,
        to_severity: incident.severity,
        reason,
      },
      incident,
      before,
    );
  }

  /**
   * Loads the incident inside a unit of work, applies `mutate` (which returns whether anything changed), stores it
   * and keeps the gauge in step. Returns the incident as stored. With a constraint, an incident outside it is 404
   * like a missing one: nothing is done outside the caller's constraint. `mutate` changes `incident` in place and
   * gets `before`, a copy of it as loaded, which it passes as `previous` when it records a change that may move the
   * incident out of a filtered view.
   */
  async change(
    id: string,
    mutate: Mutation,
    constraint: IncidentConstraint | null = null,
  ): Promise<Incident> {
    const incident = await this.changeWhere(async (tx) => {
      const current = await this.incidents.findById(tx, id);
      if (!current || (constraint !== null && !incidentMatchesConstraint(current, constraint))) {
        throw new NotFoundError(`Incident ${id}`);
      }
      return current;
    }, mutate);
    if (!incident) throw new NotFoundError(`Incident ${id}`);
    return incident;
  }

  /** `change` for the incident `find` loads inside the unit of work; undefined (nothing done) when it finds none. */
  private async changeWhere(
    find: (tx: Tx) => Promise<Incident | undefined>,
    mutate: Mutation,
  ): Promise<Incident | undefined> {
    let before: Incident | undefined;
    const incident = await this.publisher.run(async (tx, events) => {
      const current = await find(tx);
      if (!current) return undefined;
      before = snapshotIncident(current);
      const changed = await mutate(current, events, this.clock.nowIso(), tx, before);
      if (changed) await this.incidents.update(tx, current);
      return current;
    });
    if (before && incident) this.stats.changed(before, incident);
    return incident;
  }
}

/** What `change` applies: changes `incident` in place and says whether anything changed. */
type Mutation = (
  incident: Incident,
  events: EventRecorder,
  now: string,
  tx: Tx,
  before: Incident,
) => boolean | Promise<boolean>;

/**
 * Acknowledging: a Detected incident moves to Triaged (incident_updated with previous_state); another active state
 * is already acknowledged (nothing changes); Resolved and Closed are invalid transitions.
 */
function acknowledgement(actor: string): Mutation {
  return (incident, events, now, _tx, before) => {
    if (!isActiveState(incident.state)) {
      throw new InvalidStateTransitionError(
        `Cannot acknowledge: incident ${incident.id} is ${incident.state}`,
      );
    }
    if (incident.state !== 'Detected') return false;
    const previousState = changeState(incident, 'Triaged', actor, now);
    events.record(
      { event_type: EventType.IncidentUpdated, incident, previous_state: previousState },
      incident,
      before,
    );
    return true;
  };
}
