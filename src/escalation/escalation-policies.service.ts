import { Injectable, Optional } from '@nestjs/common';
import { DefinitionInvalidationService } from '../cluster/definition-invalidation.service';
import { DefinitionKind } from '../cluster/definition-kind';
import { Clock } from '../clock/clock';
import { EventPublisher } from '../events/event-publisher.service';
import { ValidationError } from '../common/api-error';
import type { Incident } from '../domain';
import { DestinationGuard } from '../notifications/outgoing/destination-guard';
import { restoreSecrets } from '../notifications/outgoing/secrets';
import { assertSendableHeaders } from '../notifications/webhook.client';
import { EscalationPolicyDto } from './dto/escalation-policy.dto';
import { DefinitionCatalog } from '../storage/definition-catalog';
import { EscalationPoliciesRepository } from './escalation-policies.repository';
import { EscalationPolicy, StopReason, selectPolicy } from './escalation-policy';
import { EscalationStatesRepository } from './escalation-states.repository';

/**
 * Escalation policy CRUD. Policies are also kept in memory (on every node) so that choosing a policy for a new
 * incident costs no database round trip. Disabling or deleting a policy cancels the escalations
 * that follow it at once, so that none reads `active` with a `next_due_at` that will never fire.
 */
@Injectable()
export class EscalationPoliciesService extends DefinitionCatalog<EscalationPolicy, EscalationPolicyDto> {
  constructor(
    repository: EscalationPoliciesRepository,
    private readonly time: Clock,
    private readonly publisher: EventPublisher,
    private readonly states: EscalationStatesRepository,
    guard: DestinationGuard,
    @Optional() invalidation?: DefinitionInvalidationService,
  ) {
    super(
      repository,
      'Escalation policy',
      (id, dto, createdAt, updatedAt, previous) => build(guard, id, dto, createdAt, updatedAt, previous),
      time,
      invalidation && { service: invalidation, kind: DefinitionKind.EscalationPolicies },
    );
  }

  override async replace(id: string, dto: EscalationPolicyDto): Promise<EscalationPolicy> {
    const policy = await super.replace(id, dto);
    if (!policy.enabled) await this.cancelEscalations(id, StopReason.PolicyDisabled);
    return policy;
  }

  override async delete(id: string): Promise<void> {
    await super.delete(id);
    await this.cancelEscalations(id, StopReason.PolicyDeleted);
  }

  /** The policy that applies to a new incident, if any (from memory). */
  policyFor(incident: Incident): EscalationPolicy | undefined {
    return selectPolicy(this.definitions, incident);
  }

  get anyEnabled(): boolean {
    return this.definitions.some((p) => p.enabled);
  }

  /** In a unit of work of its own, so that it is ordered with the engine's firing of the same escalations. */
  private async cancelEscalations(policyId: string, reason: StopReason): Promise<void> {
    await this.publisher.run((tx) => this.states.cancelForPolicy(tx, policyId, reason, this.time.nowIso()));
  }
}

function build(
  guard: DestinationGuard,
  id: string,
  dto: EscalationPolicyDto,
  createdAt: string,
  updatedAt: string,
  previous?: EscalationPolicy,
): EscalationPolicy {
  const levels = [...dto.levels].sort((a, b) => a.level - b.level);
  levels.forEach((level, i) => {
    if (i > 0 && levels[i - 1].level === level.level) {
      throw new ValidationError(`levels: level ${level.level} appears more than once`);
    }
  });
  return {
    id,
    name: dto.name,
    created_at: createdAt,
    updated_at: updatedAt,
    description: dto.description ?? '',
    enabled: dto.enabled ?? true,
    severities: dto.severities ? [...new Set(dto.severities)] : [],
    levels: levels.map((level) => ({
      level: level.level,
      delay_minutes: level.delay_minutes,
      targets: (level.targets ?? []).map((t, j) => {
        // Masked values sent back keep the stored ones of the same target (same level, same name).
        const stored = previous?.levels
          .find((l) => l.level === level.level)
          ?.targets.find((p) => p.type === t.type && p.name === t.name);
        const field = `levels.${dto.levels.indexOf(level)}.targets.${j}.`;
        const { url, headers } = restoreSecrets(
          { url: t.url ?? null, headers: t.headers ?? {} },
          stored,
          field,
        );
        if (url !== null) guard.assertAllowed(url, `${field}url`);
        assertSendableHeaders(headers);
        return { type: t.type, name: t.name, url, headers };
      }),
      raise_to_severity: level.raise_to_severity ?? null,
      stop_on_ack: level.stop_on_ack ?? true,
    })),
    repeat: dto.repeat ?? 0,
  };
}
