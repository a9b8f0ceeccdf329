import { Injectable } from '@nestjs/common';
import { NotFoundError } from '../common/api-error';
import type { IncidentConstraint } from '../common/incident-constraint';
import { IncidentsService } from '../incidents/incidents.service';
import { EscalationPoliciesRepository } from './escalation-policies.repository';
import { EscalationState, EscalationStatus } from './escalation-policy';
import { EscalationStatesRepository } from './escalation-states.repository';

export type EscalationView = EscalationState & {
  /** null once the policy was deleted. */
  policy_name: string | null;
  /** The `level` number that fires at `next_due_at`; null unless active. */
  next_level: number | null;
};

/** Reads an incident's escalation for the API (the engine that moves it is EscalationEngine). */
@Injectable()
export class EscalationService {
  constructor(
    private readonly states: EscalationStatesRepository,
    private readonly policies: EscalationPoliciesRepository,
    private readonly incidents: IncidentsService,
  ) {}

  /**
   * The incident's escalation as the API shows it: the stored schedule plus the policy name and next level. An
   * incident outside the caller's constraint gets the answer of one without an escalation, revealing nothing.
   */
  async view(incidentId: string, constraint: IncidentConstraint | null = null): Promise<EscalationView> {
    const state = await this.states.get(incidentId);
    if (!state || (constraint !== null && !(await this.incidents.isVisible(incidentId, constraint)))) {
      throw new NotFoundError(`Escalation of incident ${incidentId}`);
    }
    const policy = await this.policies.get(state.policy_id);
    const nextLevel =
      state.status === EscalationStatus.Active ? (policy?.levels[state.level_index]?.level ?? null) : null;
    return { ...state, policy_name: policy?.name ?? null, next_level: nextLevel };
  }
}
