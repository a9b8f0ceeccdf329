import { makeIncident } from '../../test/support/fixtures';
import { NotFoundError } from '../common/api-error';
import type { Incident } from '../domain';
import type { DomainEvent } from './event.types';
import type { EntryWithIncident, EventLogRepository } from './event-log.repository';
import { EventLogService } from './event-log.service';

const inside = makeIncident({ labels: { team: 'sre' } });
const outside = makeIncident({ labels: { team: 'db' } });

function entry(sequence: number, incident: Incident | null, type = 'comment_added'): EntryWithIncident {
  return {
    entry: {
      sequence,
      id: `e-${sequence}`,
      event_type: type,
      incident_id: incident?.id ?? null,
      created_at: '',
      event: {} as DomainEvent,
    },
    incident,
  };
}

/** 1,500 entries: inside, outside, a system event, in turn. */
const log = Array.from({ length: 1500 }, (_, n) =>
  n % 3 === 0
    ? entry(n + 1, inside)
    : n % 3 === 1
      ? entry(n + 1, outside)
      : entry(n + 1, null, 'system_event'),
);

function setup() {
  const repository = {
    list: jest.fn().mockResolvedValue([]),
    incident: jest.fn((id: string) => Promise.resolve([inside, outside].find((i) => i.id === id))),
    listWithIncidents: jest.fn((o: { afterSequence: number; limit: number }) =>
      Promise.resolve(log.filter((e) => e.entry.sequence > o.afterSequence).slice(0, o.limit)),
    ),
  };
  return { service: new EventLogService(repository as unknown as EventLogRepository), repository };
}

describe('EventLogService.list under a constraint', () => {
  const constraint = { labels: { team: 'sre' } };

  it('fills the page across batches with entries inside and system events only', async () => {
    const { service, repository } = setup();
    const events = await service.list({ afterSequence: 10, limit: 900 }, constraint);
    expect(events).toHaveLength(900);
    expect(events.every((e) => e.incident_id === inside.id || e.event_type === 'system_event')).toBe(true);
    expect(events[0].sequence).toBe(12);
    expect(repository.listWithIncidents.mock.calls.length).toBeGreaterThan(1);
    expect(repository.list).not.toHaveBeenCalled();
  });

  it('stops at the end of the log with what it found', async () => {
    const { service } = setup();
    expect(await service.list({ afterSequence: 1490, limit: 100 }, constraint)).toHaveLength(7);
  });

  it('drops system events the constraint event types do not allow', async () => {
    const { service } = setup();
    const events = await service.list(
      { afterSequence: 0, limit: 50 },
      { ...constraint, event_types: ['comment_added'] },
    );
    expect(events.every((e) => e.incident_id === inside.id)).toBe(true);
  });

  it('answers one incident log 404 when the incident is outside or missing', async () => {
    const { service } = setup();
    await expect(
      service.list({ afterSequence: 0, limit: 5, incidentId: outside.id }, constraint),
    ).rejects.toThrow(NotFoundError);
    await expect(
      service.list({ afterSequence: 0, limit: 5, incidentId: 'nope' }, constraint),
    ).rejects.toThrow(NotFoundError);
  });

  it('takes the original path without a constraint', async () => {
    const { service, repository } = setup();
    await service.list({ afterSequence: 0, limit: 5 });
    expect(repository.list).toHaveBeenCalledWith({ afterSequence: 0, limit: 5 });
    expect(repository.listWithIncidents).not.toHaveBeenCalled();
  });
});
