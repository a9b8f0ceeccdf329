import type { Counter } from 'prom-client';
import { ManualClock } from '../../test/support/manual-clock';
import type { Clock } from '../clock/clock';
import type { Incident } from '../domain';
import type { EventPublisher, UnitOfWork } from '../events/event-publisher.service';
import type { DomainEvent } from '../events/event.types';
import type { Tx } from '../storage/database.types';
import { makeIncident } from '../../test/support/fixtures';
import { ListIncidentsQuery } from './dto/list-incidents.query';
import type { IncidentStatsService } from './incident-stats.service';
import type { IncidentQuery, IncidentsRepository, ScanCursor } from './incidents.repository';
import { IncidentsService } from './incidents.service';

/** A repository over `stored` (newest first) whose scan honours the cursor and the limit, as the SQL does. */
function setup(stored: Incident[]) {
  const scan = jest.fn((_query: IncidentQuery, cursor: ScanCursor | null, limit: number) => {
    const start = cursor === null ? 0 : stored.findIndex((i) => i.id === cursor.id) + 1;
    return Promise.resolve(stored.slice(start, start + limit));
  });
  const list = jest.fn().mockResolvedValue({ incidents: [], total: 0 });
  const counter = { inc: jest.fn() } as unknown as Counter<string>;
  const service = new IncidentsService(
    {} as Clock,
    {} as EventPublisher,
    { scan, list } as unknown as IncidentsRepository,
    {} as IncidentStatsService,
    counter,
    counter,
  );
  return { service, scan, list };
}

function query(page: number, pageSize: number): ListIncidentsQuery {
  return Object.assign(new ListIncidentsQuery(), { page, page_size: pageSize });
}

describe('IncidentsService.list under a constraint', () => {
  // 1,234 incidents, newest first; every third carries the label the constraint asks for.
  const stored = Array.from({ length: 1234 }, (_, n) =>
    makeIncident({
      id: `i-${String(1234 - n).padStart(5, '0')}`,
      labels: n % 3 === 0 ? { team: 'sre' } : {},
    }),
  );
  const matching = stored.filter((_, n) => n % 3 === 0);

  it('counts and pages the matches across scan batches', async () => {
    const { service, scan, list } = setup(stored);
    const page = await service.list(query(20, 20), { labels: { team: 'sre' } });
    expect(page.total).toBe(matching.length);
    expect(page.incidents.map((i) => i.id)).toEqual(matching.slice(400, 420).map((i) => i.id));
    expect(scan).toHaveBeenCalledTimes(3);
    expect(list).not.toHaveBeenCalled();
  });

  it('answers a page past the end empty, with the full total', async () => {
    const { service } = setup(stored);
    const page = await service.list(query(100, 20), { labels: { team: 'sre' } });
    expect(page).toEqual({ incidents: [], total: matching.length, page: 100, page_size: 20 });
  });

  it('leaves a constraint on columns only to SQL, and no constraint to the original query', async () => {
    const { service, scan, list } = setup(stored);
    await service.list(query(0, 20), { severities: ['P1'] });
    expect(list).toHaveBeenLastCalledWith(expect.objectContaining({ constraint: { severities: ['P1'] } }));
    await service.list(query(0, 20));
    expect(list).toHaveBeenLastCalledWith(expect.not.objectContaining({ constraint: expect.anything() }));
    expect(scan).not.toHaveBeenCalled();
  });
});

interface Recorded {
  event: DomainEvent;
  incident: Incident | null;
  previous: Incident | null;
}

/**
 * The service over one stored incident, with a publisher that runs the unit of work at once and keeps what it
 * recorded, as EventPublisher hands it to the broadcaster after commit.
 */
function withStored(stored: Incident) {
  let row = structuredClone(stored);
  const recorded: Recorded[] = [];
  const publisher = {
    run: (work: UnitOfWork<unknown>) =>
      work({} as Tx, {
        record: (event, incident, previous = null) => recorded.push({ event, incident, previous }),
      }),
  };
  const repository = {
    findById: () => Promise.resolve(structuredClone(row)),
    update: (_tx: Tx, incident: Incident) => {
      row = structuredClone(incident);
      return Promise.resolve();
    },
  };
  const counter = { inc: jest.fn() } as unknown as Counter<string>;
  const service = new IncidentsService(
    new ManualClock(),
    publisher as unknown as EventPublisher,
    repository as unknown as IncidentsRepository,
    { changed: jest.fn() } as unknown as IncidentStatsService,
    counter,
    counter,
  );
  return { service, recorded };
}

const subjectOf = (i: Incident | null) =>
  i && { state: i.state, severity: i.severity, labels: i.labels, timeline: i.timeline.length };

describe('IncidentsService records each change with the incident before and after it', () => {
  const stored = makeIncident({ state: 'Detected', severity: 'P2', labels: { env: 'prod' } });
  const before = subjectOf(stored);

  it('PATCH: incident_updated, incident_resolved and escalated carry the state before the whole change', async () => {
    const { service, recorded } = withStored(stored);
    await service.update(stored.id, { state: 'Resolved', severity: 'P1', labels: { env: 'dev' } });
    expect(recorded.map((r) => r.event.event_type)).toEqual([
      'incident_updated',
      'incident_resolved',
      'escalated',
    ]);
    for (const r of recorded) {
      expect(subjectOf(r.previous)).toEqual(before);
      expect(r.incident).toMatchObject({ state: 'Resolved', severity: 'P1', labels: { env: 'dev' } });
    }
  });

  it('PATCH lowering the severity publishes one incident_updated and no escalated', async () => {
    const { service, recorded } = withStored(stored);
    await service.update(stored.id, { severity: 'P3' });
    expect(recorded.map((r) => [r.event.event_type, r.previous?.severity, r.incident?.severity])).toEqual([
      ['incident_updated', 'P2', 'P3'],
    ]);
  });

  it('escalate publishes incident_updated then escalated, both with the severity before', async () => {
    const { service, recorded } = withStored(stored);
    await service.escalate(stored.id, { to_severity: 'P0', reason: 'customers' });
    expect(recorded.map((r) => [r.event.event_type, r.previous?.severity, r.incident?.severity])).toEqual([
      ['incident_updated', 'P2', 'P0'],
      ['escalated', 'P2', 'P0'],
    ]);
    expect(recorded[0].event).toMatchObject({ previous_state: null, incident: { severity: 'P0' } });
    expect(subjectOf(recorded[1].previous)).toEqual(before);
  });

  it('resolve and close carry the state the incident left', async () => {
    const resolving = withStored(stored);
    await resolving.service.resolve(stored.id, { resolved_by: 'ann', method: 'Manual', notes: '' });
    expect(resolving.recorded.map((r) => [r.event.event_type, r.previous?.state, r.incident?.state])).toEqual(
      [['incident_resolved', 'Detected', 'Resolved']],
    );

    const closing = withStored({ ...stored, state: 'Triaged' });
    await closing.service.close(stored.id);
    expect(closing.recorded.map((r) => [r.event.event_type, r.previous?.state, r.incident?.state])).toEqual([
      ['incident_closed', 'Triaged', 'Closed'],
    ]);
  });

  it('never hands the changed object itself over as previous', async () => {
    const { service, recorded } = withStored(stored);
    await service.update(stored.id, { state: 'Investigating' });
    expect(recorded[0].previous).not.toBe(recorded[0].incident);
    expect(recorded[0].previous?.timeline).not.toBe(recorded[0].incident?.timeline);
  });
});
