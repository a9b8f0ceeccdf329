import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '../common/api-error';
import type { Incident } from '../domain';
import { restoreMaskedHeaders } from '../notifications/secret-headers';
import { assertSendableHeaders } from '../notifications/webhook.client';
import { EscalationPolicyDto } from './dto/escalation-policy.dto';
import { EscalationPoliciesRepository } from './escalation-policies.repository';
import { EscalationPolicy, selectPolicy } from './escalation-policy';

/**
 * Escalation policy CRUD. Policies are also kept in memory (this process is their only writer) so that choosing a
 * policy for a new incident costs no database round trip.
 */
@Injectable()
export class EscalationPoliciesService implements OnApplicationBootstrap {
  private policies: EscalationPolicy[] = [];
  private loading: Promise<void> | undefined;

  constructor(private readonly repository: EscalationPoliciesRepository) {}

  onApplicationBootstrap(): Promise<void> {
    return this.ensureLoaded();
  }

  /** Loads the policies into memory once; other bootstrap hooks that need them await this. */
  ensureLoaded(): Promise<void> {
    this.loading ??= this.reload();
    return this.loading;
  }

  list(): Promise<EscalationPolicy[]> {
    return this.repository.list();
  }

  async get(id: string): Promise<EscalationPolicy> {
    const policy = await this.repository.get(id);
    if (!policy) throw new NotFoundError(`Escalation policy ${id}`);
    return policy;
  }

  async create(dto: EscalationPolicyDto): Promise<EscalationPolicy> {
    await this.assertNameFree(dto.name);
    const now = new Date().toISOString();
    const policy = build(randomUUID(), dto, now, now);
    await this.repository.insert(policy);
    await this.reload();
    return policy;
  }

  async replace(id: string, dto: EscalationPolicyDto): Promise<EscalationPolicy> {
    const existing = await this.get(id);
    await this.assertNameFree(dto.name, id);
    const policy = build(id, dto, existing.created_at, new Date().toISOString(), existing);
    await this.repository.update(policy);
    await this.reload();
    return policy;
  }

  /** Deleting a policy cancels the escalations it drives when they next come due. */
  async delete(id: string): Promise<void> {
    if (!(await this.repository.delete(id))) throw new NotFoundError(`Escalation policy ${id}`);
    await this.reload();
  }

  /** The policy that applies to a new incident, if any (from memory). */
  policyFor(incident: Incident): EscalationPolicy | undefined {
    return selectPolicy(this.policies, incident);
  }

  get anyEnabled(): boolean {
    return this.policies.some((p) => p.enabled);
  }

  private async reload(): Promise<void> {
    this.policies = await this.repository.list();
  }

  private async assertNameFree(name: string, exceptId?: string): Promise<void> {
    const owner = await this.repository.idByName(name);
    if (owner !== undefined && owner !== exceptId) {
      throw new ValidationError(`An escalation policy named "${name}" already exists`);
    }
  }
}

function build(
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
      targets: (level.targets ?? []).map((t) => {
        // Masked values sent back keep the stored ones of the same target (same level, same name).
        const stored = previous?.levels
          .find((l) => l.level === level.level)
          ?.targets.find((p) => p.type === t.type && p.name === t.name)?.headers;
        const headers = restoreMaskedHeaders(t.headers ?? {}, stored);
        assertSendableHeaders(headers);
        return { type: t.type, name: t.name, url: t.url ?? null, headers };
      }),
      raise_to_severity: level.raise_to_severity ?? null,
      stop_on_ack: level.stop_on_ack ?? true,
    })),
    repeat: dto.repeat ?? 0,
  };
}
