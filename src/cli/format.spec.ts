import type { EventMessage, Incident } from '@llm-incident-manager/client';
import { Painter, eventLine, incidentLine } from './format';

const incident = {
  id: '0b6f3a8e-1111-4222-8333-444455556666',
  title: 'Disk full',
  severity: 'P0',
  state: 'Triaged',
  created_at: '2026-12-02T02:45:52.462Z',
} as Incident;

const message = (event: EventMessage['event']): EventMessage => ({
  type: 'event',
  message_id: 'm',
  event,
  timestamp: '2026-12-02T02:45:53.000Z',
  sequence: 7,
});

describe('CLI lines', () => {
  it('prints time, severity, event type and what happened, without escapes when colour is off', () => {
    const line = eventLine(
      message({ event_type: 'incident_updated', incident, previous_state: 'Detected' }),
      new Painter(false),
    );
    expect(line).toBe(
      `2026-12-02T02:45:53.000Z  P0  incident_updated          Disk full [Detected -> Triaged] (${incident.id})`,
    );
  });

  it('colours the severity (and dims the time) when colour is on', () => {
    const line = eventLine(
      message({
        event_type: 'escalated',
        incident_id: incident.id,
        from_severity: 'P2',
        to_severity: 'P1',
        reason: 'policy',
      }),
      new Painter(true),
    );
    expect(line).toContain('\u001b[1;31mP1\u001b[0m');
    expect(line).toContain('\u001b[2m2026-12-02T02:45:53.000Z\u001b[0m');
    expect(line).toContain(`P2 -> P1: policy (${incident.id})`);
  });

  it('shows events without a severity with a placeholder', () => {
    const line = eventLine(
      message({ event_type: 'system_event', category: 'lifecycle', message: 'server started', metadata: {} }),
      new Painter(false),
    );
    expect(line).toBe('2026-12-02T02:45:53.000Z  --  system_event              lifecycle: server started');
  });

  it('lists an incident as id, severity, state, creation time and title', () => {
    expect(incidentLine(incident, new Painter(false))).toBe(
      `${incident.id}  P0  Triaged        2026-12-02T02:45:52.462Z  Disk full`,
    );
  });
});
