import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DefinitionDto } from '../../common/definition.dto';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsStringMap, LIMITS } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';
import {
  INCIDENT_STATES,
  INCIDENT_TYPES,
  IncidentState,
  IncidentType,
  SEVERITIES,
  Severity,
} from '../../domain';
import { HTTP_URL } from '../../notifications/dto/notification-channel.dto';
import { ACTION_TYPES, ActionType } from '../playbook';

const when =
  (...types: ActionType[]) =>
  (action: ActionDto): boolean =>
    types.includes(action.type);

/**
 * One action. `type` says which of the other fields apply: webhook {url, headers?}, wait {seconds},
 * add_labels {labels}, set_state {state}, severity_increase {to_severity?}, notify {message, channels?},
 * incident_resolve {notes?, root_cause?}. Fields of other types are ignored.
 */
export class ActionDto {
  @ApiProperty({ enum: ACTION_TYPES })
  @IsIn(ACTION_TYPES)
  type!: ActionType;

  @ApiPropertyOptional({ description: 'webhook: receives a JSON POST of the incident' })
  @ValidateIf(when('webhook'))
  @IsString()
  @MaxLength(2048)
  @IsUrl(HTTP_URL, { message: 'url must be an http(s) URL' })
  url?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'webhook' })
  @ValidateIf((a: ActionDto) => a.type === 'webhook' && a.headers !== undefined)
  @IsStringMap({ maxEntries: 16, maxKeyLength: 128, maxValueLength: 4096 })
  headers?: Record<string, string>;

  @ApiPropertyOptional({ minimum: 0, maximum: 3600, description: 'wait: seconds, fractions allowed' })
  @ValidateIf(when('wait'))
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(3600)
  seconds?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'add_labels',
  })
  @ValidateIf(when('add_labels'))
  @IsStringMap()
  labels?: Record<string, string>;

  @ApiPropertyOptional({ enum: INCIDENT_STATES, description: 'set_state' })
  @ValidateIf(when('set_state'))
  @IsIn(INCIDENT_STATES)
  state?: IncidentState;

  @ApiPropertyOptional({
    enum: SEVERITIES,
    nullable: true,
    description: 'severity_increase: target; null or absent: one level up',
  })
  @ValidateIf((a: ActionDto) => a.type === 'severity_increase' && (a.to_severity ?? null) !== null)
  @IsIn(SEVERITIES)
  to_severity?: Severity | null;

  @ApiPropertyOptional({
    type: [String],
    description: 'notify: channel ids or names; default every enabled one',
  })
  @ValidateIf((a: ActionDto) => a.type === 'notify' && a.channels !== undefined)
  @IsArray()
  @ArrayMaxSize(32)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  channels?: string[];

  @ApiPropertyOptional({ description: 'notify: the text sent' })
  @ValidateIf(when('notify'))
  @IsString()
  @Length(1, 2000)
  message?: string;

  @ApiPropertyOptional({ description: 'incident_resolve' })
  @ValidateIf((a: ActionDto) => a.type === 'incident_resolve' && a.notes !== undefined)
  @IsString()
  @MaxLength(LIMITS.description)
  notes?: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'incident_resolve' })
  @ValidateIf((a: ActionDto) => a.type === 'incident_resolve' && (a.root_cause ?? null) !== null)
  @IsString()
  @MaxLength(LIMITS.description)
  root_cause?: string | null;
}

/** Which incidents: every given key must match; empty or absent keys match everything. */
export class TriggersDto {
  @ApiPropertyOptional({ enum: SEVERITIES, isArray: true })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(SEVERITIES.length)
  @IsIn(SEVERITIES, { each: true })
  severities?: Severity[];

  @ApiPropertyOptional({ enum: INCIDENT_TYPES, isArray: true })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(INCIDENT_TYPES.length)
  @IsIn(INCIDENT_TYPES, { each: true })
  incident_types?: IncidentType[];

  @ApiPropertyOptional({ type: [String] })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(LIMITS.listItems)
  @IsString({ each: true })
  @Length(1, LIMITS.source, { each: true })
  sources?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'All pairs' })
  @IsOptionalButNotNull()
  @IsStringMap()
  labels?: Record<string, string>;
}

export class ConditionDto extends TriggersDto {
  @ApiPropertyOptional({ enum: INCIDENT_STATES, isArray: true })
  @IsOptionalButNotNull()
  @IsArray()
  @ArrayMaxSize(INCIDENT_STATES.length)
  @IsIn(INCIDENT_STATES, { each: true })
  states?: IncidentState[];
}

export class StepDto {
  @ApiPropertyOptional({ maxLength: 128, description: 'Default: the action type' })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, 128)
  name?: string;

  @ApiProperty({ type: ActionDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ActionDto)
  action!: ActionDto;

  @ApiPropertyOptional({
    type: ConditionDto,
    nullable: true,
    description: 'Skip the step unless the incident matches',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ConditionDto)
  condition?: ConditionDto | null;

  @ApiPropertyOptional({ type: 'integer', default: 0, minimum: 0, maximum: 10 })
  @IsOptionalButNotNull()
  @IsInt()
  @Min(0)
  @Max(10)
  retries?: number;

  @ApiPropertyOptional({ default: 1, minimum: 0, maximum: 300 })
  @IsOptionalButNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(300)
  retry_delay_seconds?: number;

  @ApiPropertyOptional({ default: 30, minimum: 0.01, maximum: 3600 })
  @IsOptionalButNotNull()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.01)
  @Max(3600)
  timeout_seconds?: number;
}

/** POST (create) and PUT (replace) body of a playbook. */
export class PlaybookDto extends DefinitionDto {
  @ApiPropertyOptional({ type: TriggersDto, description: 'Absent: runs on every new incident' })
  @IsOptionalButNotNull()
  @IsObject()
  @ValidateNested()
  @Type(() => TriggersDto)
  triggers?: TriggersDto;

  @ApiProperty({ type: [StepDto], minItems: 1, maxItems: 50 })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => StepDto)
  steps!: StepDto[];
}

export class RunPlaybookDto {
  @ApiPropertyOptional({ description: 'Who starts the run (timeline actor); defaults to "api"' })
  @IsOptionalButNotNull()
  @IsString()
  @Length(1, LIMITS.actor)
  actor?: string;
}
