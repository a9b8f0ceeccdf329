import type { Counter } from 'prom-client';
import type { Clock } from '../clock/clock';
import type { Incident } from '../domain';
import type { EventPublisher } from '../events/event-publisher.service';
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
