import { InvalidStateTransitionError } from '../common/api-error';
import { INCIDENT_STATES, IncidentState } from '../domain';
import {
  addNote,
  changeAssignees,
  changeLabels,
  changeSeverity,
  changeState,
  createIncident,
  resolveIncident,
  snapshotIncident,
} from './incident-lifecycle';

const NOW = '2026-11-25T12:00:00.000Z';
const fresh = () =>
  createIncident(
    {
      source: 's',
      title: 't',
      description: 'd',
      severity: 'P2',
      incident_type: 'Data',
      affected_resources: [],
      labels: {},
      fingerprint: null,
    },
    NOW,
  );

describe('incident lifecycle', () => {
  it('creates a Detected incident with exactly one Created timeline entry by system', () => {
    const incident = fresh();
    expect(incident.state).toBe('Detected');
    expect(incident.timeline).toEqual([
      expect.objectContaining({ event_type: 'Created', actor: 'system', timestamp: NOW }),
    ]);
  });

  const active: IncidentState[] = ['Detected', 'Triaged', 'Investigating', 'Remediating'];

  it.each(active.flatMap((from) => INCIDENT_STATES.filter((to) => to !== from).map((to) => [from, to])))(
    'allows %s -> %s',
    (from, to) => {
      const incident = fresh();
      incident.state = from;
      expect(changeState(incident, to, 'u', NOW)).toBe(from);
      expect(incident.state).toBe(to);
    },
  );

  it.each([...active, 'Closed' as const])('allows Resolved -> %s (reopen or close)', (to) => {
    const incident = fresh();
    incident.state = 'Resolved';
    expect(changeState(incident, to, 'u', NOW)).toBe('Resolved');
  });

  it.each(INCIDENT_STATES)('refuses Closed -> %s', (to) => {
    const incident = fresh();
    incident.state = 'Closed';
    expect(() => changeState(incident, to, 'u', NOW)).toThrow(InvalidStateTransitionError);
  });

  it('treats a move to the same state as no change', () => {
    const incident = fresh();
    expect(changeState(incident, 'Detected', 'u', NOW)).toBeNull();
    expect(incident.timeline).toHaveLength(1);
  });

  it('refuses to resolve an incident that is not active', () => {
    const incident = fresh();
    resolveIncident(incident, { resolved_by: 'a', method: 'Manual', notes: '', root_cause: null }, NOW);
    expect(() =>
      resolveIncident(incident, { resolved_by: 'a', method: 'Manual', notes: '', root_cause: null }, NOW),
    ).toThrow(InvalidStateTransitionError);
  });

  it('reports severity and assignee changes only when something changed', () => {
    const incident = fresh();
    expect(changeSeverity(incident, 'P2', 'u', NOW)).toBeNull();
    expect(changeSeverity(incident, 'P0', 'u', NOW)).toBe('P2');
    expect(changeAssignees(incident, ['a', 'a', 'b'], 'u', NOW)).toBe(true);
    expect(incident.assignees).toEqual(['a', 'b']);
    expect(changeAssignees(incident, ['a', 'b'], 'u', NOW)).toBe(false);
  });
});

describe('snapshotIncident', () => {
  it('keeps the incident as it was while every lifecycle change is applied to the original', () => {
    const incident = fresh();
    changeState(incident, 'Resolved', 'ann', NOW);
    const snapshot = snapshotIncident(incident);
    const asItWas = structuredClone(incident);

    changeState(incident, 'Investigating', 'ann', NOW);
    changeSeverity(incident, 'P0', 'ann', NOW, 'worse');
    changeAssignees(incident, ['ann'], 'ann', NOW);
    changeLabels(incident, { team: 'db' }, 'ann', NOW);
    addNote(incident, 'ann', 'looking', NOW);
    resolveIncident(incident, { resolved_by: 'ann', method: 'Manual', notes: 'n', root_cause: 'r' }, NOW);
    incident.affected_resources.push('orders-db');
    incident.related_incidents.push('other');
    incident.labels.extra = 'x';

    expect(snapshot).toEqual(asItWas);
    expect(incident).not.toEqual(asItWas);
  });
});
