import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { SEVERITIES, Severity } from '../../domain';
import { EscalationStatus, StopReason } from '../escalation-policy';
import type { EscalationView } from '../escalation.service';
import { EscalationLevelDto, EscalationPolicyDto, EscalationTargetDto } from './escalation-policy.dto';

/*
 * OpenAPI shapes of escalation policies as the API answers them: the request's shapes with every field the server
 * fills in (defaults, ids, instants) marked required (`required: true`: an override keeps the rest of the
 * request's metadata, `required: false` included). Documentation only.
 */

@ApiSchema({ name: 'EscalationTarget' })
class EscalationTargetSchema extends EscalationTargetDto {
  @ApiProperty({
    required: true,
    type: String,
    nullable: true,
    description: 'Webhook targets; credentials in it masked',
  })
  declare url: string | null;

  @ApiProperty({
    selfRequired: true,
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Webhook targets: the extra headers, values masked',
  })
  declare headers: Record<string, string>;
}

@ApiSchema({ name: 'EscalationLevel' })
class EscalationLevelSchema extends EscalationLevelDto {
  @ApiProperty({ required: true, type: [EscalationTargetSchema] })
  declare targets: EscalationTargetSchema[];

  @ApiProperty({ required: true, enum: SEVERITIES, nullable: true, description: 'null: no raise' })
  declare raise_to_severity: Severity | null;

  @ApiProperty({ required: true })
  declare stop_on_ack: boolean;
}

@ApiSchema({ name: 'EscalationPolicy' })
export class EscalationPolicySchema extends EscalationPolicyDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ required: true })
  declare description: string;

  @ApiProperty({ required: true })
  declare enabled: boolean;

  @ApiProperty({ required: true, enum: SEVERITIES, isArray: true, description: 'Empty: every severity' })
  declare severities: Severity[];

  @ApiProperty({ required: true, type: [EscalationLevelSchema], description: 'In ascending level order' })
  declare levels: EscalationLevelSchema[];

  @ApiProperty({ required: true, type: 'integer', minimum: 0, maximum: 10 })
  declare repeat: number;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;
}

@ApiSchema({ name: 'EscalationPolicyList' })
export class EscalationPolicyListSchema {
  @ApiProperty({ type: [EscalationPolicySchema], description: 'Oldest first' })
  policies!: EscalationPolicySchema[];
}

/** `GET /v1/incidents/{id}/escalation` (EscalationView). */
@ApiSchema({ name: 'IncidentEscalation' })
export class IncidentEscalationSchema implements EscalationView {
  @ApiProperty({ format: 'uuid' })
  incident_id!: string;

  @ApiProperty({ format: 'uuid' })
  policy_id!: string;

  @ApiProperty({ type: String, nullable: true, description: 'null once the policy was deleted' })
  policy_name!: string | null;

  @ApiProperty({ enum: Object.values(EscalationStatus) })
  status!: EscalationStatus;

  @ApiProperty({ type: 'integer', minimum: 0, description: "Index in the policy's levels of the next level" })
  level_index!: number;

  @ApiProperty({ type: 'integer', minimum: 0 })
  repeat_round!: number;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'The level that fires at next_due_at; null unless active',
  })
  next_level!: number | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  next_due_at!: string | null;

  @ApiProperty({ format: 'date-time' })
  started_at!: string;

  @ApiProperty({ format: 'date-time' })
  updated_at!: string;

  @ApiProperty({
    enum: Object.values(StopReason),
    nullable: true,
    description: 'Why it stopped; null while active',
  })
  stop_reason!: StopReason | null;
}
