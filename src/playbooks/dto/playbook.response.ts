import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { INCIDENT_STATES, INCIDENT_TYPES, SEVERITIES } from '../../domain';
import { STRING_MAP } from '../../common/openapi/incident.schema';
import { ACTION_TYPES, RunStatus, RunTrigger, StepStatus } from '../playbook';
import type { ActionType, PlaybookRun, StepResult } from '../playbook';
import { ConditionDto, PlaybookDto, StepDto } from './playbook.dto';

/*
 * OpenAPI shapes of playbooks and their runs as the API answers them: the request's shapes with every field the
 * server fills in marked required (`required: true`: an override keeps the rest of the request's metadata,
 * `required: false` included). Documentation only.
 */

/** Which incidents: every key present; an empty list or map matches everything. */
@ApiSchema({ name: 'IncidentMatcher' })
class IncidentMatcherSchema extends ConditionDto {
  @ApiProperty({ required: true, enum: SEVERITIES, isArray: true })
  declare severities: ConditionDto['severities'];

  @ApiProperty({ required: true, enum: INCIDENT_TYPES, isArray: true })
  declare incident_types: ConditionDto['incident_types'];

  @ApiProperty({ required: true, type: [String] })
  declare sources: ConditionDto['sources'];

  @ApiProperty({ required: true, enum: INCIDENT_STATES, isArray: true })
  declare states: ConditionDto['states'];

  @ApiProperty({ ...STRING_MAP, selfRequired: true, description: 'All pairs' })
  declare labels: ConditionDto['labels'];
}

@ApiSchema({ name: 'PlaybookStep' })
class PlaybookStepSchema extends StepDto {
  @ApiProperty({ required: true })
  declare name: string;

  @ApiProperty({ required: true, type: IncidentMatcherSchema, nullable: true })
  declare condition: IncidentMatcherSchema | null;

  @ApiProperty({ required: true })
  declare retries: number;

  @ApiProperty({ required: true })
  declare retry_delay_seconds: number;

  @ApiProperty({ required: true })
  declare timeout_seconds: number;
}

@ApiSchema({ name: 'Playbook' })
export class PlaybookSchema extends PlaybookDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ required: true })
  declare description: string;

  @ApiProperty({ required: true })
  declare enabled: boolean;

  @ApiProperty({ required: true, type: IncidentMatcherSchema, description: 'Which new incidents run it' })
  declare triggers: IncidentMatcherSchema;

  @ApiProperty({ type: [PlaybookStepSchema], description: 'Webhook secrets masked' })
  declare steps: PlaybookStepSchema[];

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

@ApiSchema({ name: 'PlaybookList' })
export class PlaybookListSchema {
  @ApiProperty({ type: [PlaybookSchema], description: 'Oldest first' })
  playbooks!: PlaybookSchema[];
}

@ApiSchema({ name: 'PlaybookStepResult' })
class StepResultSchema implements StepResult {
  @ApiProperty({ type: 'integer', minimum: 0 })
  index!: number;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: ACTION_TYPES })
  action!: ActionType;

  @ApiProperty({ enum: Object.values(StepStatus) })
  status!: StepStatus;

  @ApiProperty({ type: 'integer', minimum: 0 })
  attempts!: number;

  @ApiProperty({ description: 'What happened, for people' })
  message!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  started_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finished_at!: string | null;
}

/** One execution of a playbook on an incident (PlaybookRun). */
@ApiSchema({ name: 'PlaybookRun' })
export class PlaybookRunSchema implements PlaybookRun {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  incident_id!: string;

  @ApiProperty({ format: 'uuid' })
  playbook_id!: string;

  @ApiProperty()
  playbook_name!: string;

  @ApiProperty({ enum: Object.values(RunTrigger) })
  trigger!: RunTrigger;

  @ApiProperty()
  triggered_by!: string;

  @ApiProperty({ enum: Object.values(RunStatus) })
  status!: RunStatus;

  @ApiProperty({ type: Boolean, nullable: true, description: 'null until the run finishes' })
  success!: boolean | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the run failed' })
  error!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0 })
  actions_executed!: number;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  started_at!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  finished_at!: string | null;

  @ApiProperty({ type: [StepResultSchema] })
  steps!: StepResultSchema[];

  @ApiProperty({
    type: [PlaybookStepSchema],
    description: 'The steps as they were when the run was queued (webhook secrets masked)',
  })
  definition!: PlaybookRun['definition'];
}

@ApiSchema({ name: 'PlaybookRunList' })
export class PlaybookRunListSchema {
  @ApiProperty({ type: [PlaybookRunSchema], description: 'Oldest first' })
  runs!: PlaybookRunSchema[];
}
