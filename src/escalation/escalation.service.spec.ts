import { NotFoundError } from '../common/api-error';
import type { EscalationPoliciesRepository } from './escalation-policies.repository';
import type { EscalationPolicy, EscalationState } from './escalation-policy';
import type { EscalationStatesRepository } from './escalation-states.repository';
import type { IncidentsService } from '../incidents/incidents.service';
import { EscalationService } from './escalation.service';

const state = (overrides: Partial<EscalationState> = {}): EscalationState => ({
  incident_id: 'i-1',
  policy_id: 'p-1',
  status: 'active',
  level_index: 1,
  repeat_round: 0,
  next_due_at: '2026-01-01T00:10:00.000Z',
  started_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:05:00.000Z',
  stop_reason: null,
  ...overrides,
});

const policy = {
  id: 'p-1',
  name: 'urgent',
  levels: [{ level: 1 }, { level: 5 }],
} as unknown as EscalationPolicy;

function setup(
  stored: EscalationState | undefined,
  storedPolicy: EscalationPolicy | undefined,
  incidentVisible = true,
) {
  const states = { get: jest.fn().mockResolvedValue(stored) };
  const policies = { get: jest.fn().mockResolvedValue(storedPolicy) };
  const incidents = { isVisible: jest.fn().mockResolvedValue(incidentVisible) };
  return new EscalationService(
    states as unknown as EscalationStatesRepository,
    policies as unknown as EscalationPoliciesRepository,
    incidents as unknown as IncidentsService,
  );
}

describe('EscalationService view', () => {
  it('answers an incident outside the caller constraint as one without an escalation', async () => {
    await expect(setup(state(), policy, false).view('i-1', { severities: ['P4'] })).rejects.toEqual(
      new NotFoundError('Escalation of incident i-1'),
    );
    await expect(setup(state(), policy, true).view('i-1', { severities: ['P4'] })).resolves.toMatchObject({
      policy_name: 'urgent',
    });
  });

  it('shows an active escalation with its policy name and the level number due next', async () => {
    await expect(setup(state(), policy).view('i-1')).resolves.toEqual({
      ...state(),
      policy_name: 'urgent',
      next_level: 5,
    });
  });

  it('shows no next level once the escalation is over', async () => {
    const over = state({ status: 'completed', next_due_at: null });
    await expect(setup(over, policy).view('i-1')).resolves.toMatchObject({ next_level: null });
  });

  it('shows a null policy name and next level once the policy was deleted', async () => {
    await expect(setup(state(), undefined).view('i-1')).resolves.toMatchObject({
      policy_name: null,
      next_level: null,
    });
  });

  it('is not found for an incident without an escalation', async () => {
    await expect(setup(undefined, policy).view('i-1')).rejects.toThrow(NotFoundError);
  });
});
