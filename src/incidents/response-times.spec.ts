import type { Incident, IncidentState, TimelineEntry } from '../domain';
import { observationsOf, responseTimes } from './response-times';

const CREATED = '2026-01-01T00:00:00.000Z';
const at = (seconds: number): string => new Date(Date.parse(CREATED) + seconds * 1000).toISOString();

function moved(seconds: number, from: IncidentState, to: IncidentState): TimelineEntry {
  return {
    timestamp: at(seconds),
    event_type: to === 'Resolved' ? 'Resolved' : 'StateChanged',
    actor: 'alice',
    description: `${from} -> ${to}`,
    metadata: { from, to },
  };
}

function incident(
  state: IncidentState,
  timeline: TimelineEntry[],
): Pick<Incident, 'state' | 'created_at' | 'timeline'> {
  const created: TimelineEntry = {
    timestamp: CREATED,
    event_type: 'Created',
    actor: 'system',
    description: '',
    metadata: {},
  };
  return { state, created_at: CREATED, timeline: [created, ...timeline] };
}

describe('responseTimes', () => {
  it('is null for both until the incident leaves Detected', () => {
    expect(responseTimes(incident('Detected', []))).toEqual({
      acknowledged_at: null,
      first_resolved_at: null,
    });
  });

  it('takes the first move from Detected to a working state, and the first resolution', () => {
    const timeline = [
      moved(90, 'Detected', 'Investigating'),
      moved(100, 'Investigating', 'Detected'),
      moved(110, 'Detected', 'Triaged'),
      moved(300, 'Triaged', 'Resolved'),
      moved(400, 'Resolved', 'Triaged'),
      moved(500, 'Triaged', 'Resolved'),
    ];
    expect(responseTimes(incident('Resolved', timeline))).toEqual({
      acknowledged_at: at(90),
      first_resolved_at: at(300),
    });
  });

  it('does not count a move from Detected straight to Resolved or Closed as an acknowledgement', () => {
    expect(responseTimes(incident('Resolved', [moved(60, 'Detected', 'Resolved')]))).toEqual({
      acknowledged_at: null,
      first_resolved_at: at(60),
    });
    expect(responseTimes(incident('Closed', [moved(60, 'Detected', 'Closed')]))).toEqual({
      acknowledged_at: null,
      first_resolved_at: null,
    });
  });
});

describe('observationsOf', () => {
  it('observes the acknowledgement once, in seconds since creation', () => {
    const acked = incident('Triaged', [moved(90, 'Detected', 'Triaged')]);
    expect(observationsOf({ state: 'Detected' }, acked)).toEqual({
      acknowledgedAfter: 90,
      resolvedAfter: null,
    });

    const backAndAgain = incident('Triaged', [
      moved(90, 'Detected', 'Triaged'),
      moved(95, 'Triaged', 'Detected'),
      moved(120, 'Detected', 'Triaged'),
    ]);
    expect(observationsOf({ state: 'Detected' }, backAndAgain)).toEqual({
      acknowledgedAfter: null,
      resolvedAfter: null,
    });
  });

  it('observes the first resolution only, not a reopened incident resolved again', () => {
    const first = incident('Resolved', [moved(90, 'Detected', 'Triaged'), moved(600, 'Triaged', 'Resolved')]);
    expect(observationsOf({ state: 'Triaged' }, first)).toEqual({
      acknowledgedAfter: null,
      resolvedAfter: 600,
    });

    const again = incident('Resolved', [
      ...first.timeline.slice(1),
      moved(700, 'Resolved', 'Triaged'),
      moved(900, 'Triaged', 'Resolved'),
    ]);
    expect(observationsOf({ state: 'Triaged' }, again)).toEqual({
      acknowledgedAfter: null,
      resolvedAfter: null,
    });
  });

  it('observes a resolution straight from Detected with no acknowledgement', () => {
    const resolved = incident('Resolved', [moved(60, 'Detected', 'Resolved')]);
    expect(observationsOf({ state: 'Detected' }, resolved)).toEqual({
      acknowledgedAfter: null,
      resolvedAfter: 60,
    });
  });

  it('observes nothing when the state did not change', () => {
    const acked = incident('Triaged', [moved(90, 'Detected', 'Triaged')]);
    expect(observationsOf({ state: 'Triaged' }, acked)).toEqual({
      acknowledgedAfter: null,
      resolvedAfter: null,
    });
  });

  it('counts a clock stepped back as 0 seconds', () => {
    const early = incident('Triaged', [moved(-5, 'Detected', 'Triaged')]);
    expect(observationsOf({ state: 'Detected' }, early).acknowledgedAfter).toBe(0);
  });
});
