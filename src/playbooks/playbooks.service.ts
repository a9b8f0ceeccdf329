import { Injectable, Optional } from '@nestjs/common';
import { DefinitionInvalidationService } from '../cluster/definition-invalidation.service';
import { DefinitionKind } from '../cluster/definition-kind';
import { Clock } from '../clock/clock';
import { ValidationError } from '../common/api-error';
import type { Incident } from '../domain';
import { DestinationGuard } from '../notifications/outgoing/destination-guard';
import { restoreSecrets } from '../notifications/outgoing/secrets';
import { assertSendableHeaders } from '../notifications/webhook.client';
import { ActionDto, ConditionDto, PlaybookDto, TriggersDto } from './dto/playbook.dto';
import { IncidentMatcher, Playbook, PlaybookAction, PlaybookStep, matches } from './playbook';
import { DefinitionCatalog } from '../storage/definition-catalog';
import { PlaybooksRepository } from './playbooks.repository';

/**
 * Playbook CRUD. Playbooks are also kept in memory (on every node) so that finding the ones a new incident
 * triggers costs no database round trip.
 */
@Injectable()
export class PlaybooksService extends DefinitionCatalog<Playbook, PlaybookDto> {
  constructor(
    repository: PlaybooksRepository,
    clock: Clock,
    guard: DestinationGuard,
    @Optional() invalidation?: DefinitionInvalidationService,
  ) {
    super(
      repository,
      'Playbook',
      (id, dto, createdAt, updatedAt, previous) => build(guard, id, dto, createdAt, updatedAt, previous),
      clock,
      invalidation && { service: invalidation, kind: DefinitionKind.Playbooks },
    );
  }

  /** Enabled playbooks whose triggers match a new incident, oldest first (from memory). */
  triggeredBy(incident: Incident): Playbook[] {
    return this.definitions.filter((p) => p.enabled && matches(p.triggers, incident));
  }
}

function build(
  guard: DestinationGuard,
  id: string,
  dto: PlaybookDto,
  createdAt: string,
  updatedAt: string,
  previous?: Playbook,
): Playbook {
  return {
    id,
    name: dto.name,
    created_at: createdAt,
    updated_at: updatedAt,
    description: dto.description ?? '',
    enabled: dto.enabled ?? true,
    triggers: matcher(dto.triggers),
    steps: dto.steps.map((step, i): PlaybookStep => ({
      name: step.name ?? step.action.type,
      action: action(guard, step.action, i, previous?.steps[i]?.action),
      condition: step.condition ? matcher(step.condition) : null,
      retries: step.retries ?? 0,
      retry_delay_seconds: step.retry_delay_seconds ?? 1,
      timeout_seconds: step.timeout_seconds ?? 30,
    })),
  };
}

function matcher(dto: TriggersDto | ConditionDto | undefined): IncidentMatcher {
  return {
    severities: [...new Set(dto?.severities ?? [])],
    incident_types: [...new Set(dto?.incident_types ?? [])],
    sources: [...new Set(dto?.sources ?? [])],
    states: dto instanceof ConditionDto ? [...new Set(dto.states ?? [])] : [],
    labels: { ...(dto?.labels ?? {}) },
  };
}

/** The validated DTO as the typed action its `type` names (the DTO validated the fields that type needs). */
function action(
  guard: DestinationGuard,
  dto: ActionDto,
  index: number,
  previous: PlaybookAction | undefined,
): PlaybookAction {
  const required = <T>(value: T | undefined, field: string): T => {
    if (value === undefined) throw new ValidationError(`steps.${index}.action.${field} is required`);
    return value;
  };
  switch (dto.type) {
    case 'webhook': {
      // Masked values sent back keep what the step at the same position had, if it still goes to the same URL.
      const field = `steps.${index}.action.`;
      const { url, headers } = restoreSecrets(
        { url: required(dto.url, 'url'), headers: dto.headers ?? {} },
        previous?.type === 'webhook' ? previous : undefined,
        field,
      );
      guard.assertAllowed(url, `${field}url`);
      assertSendableHeaders(headers);
      return { type: dto.type, url, headers };
    }
    case 'wait':
      return { type: dto.type, seconds: required(dto.seconds, 'seconds') };
    case 'add_labels':
      return { type: dto.type, labels: required(dto.labels, 'labels') };
    case 'set_state':
      return { type: dto.type, state: required(dto.state, 'state') };
    case 'severity_increase':
      return { type: dto.type, to_severity: dto.to_severity ?? null };
    case 'notify':
      return { type: dto.type, channels: dto.channels ?? [], message: required(dto.message, 'message') };
    case 'incident_resolve':
      return { type: dto.type, notes: dto.notes ?? '', root_cause: dto.root_cause ?? null };
  }
}
