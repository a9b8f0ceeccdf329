import { Type } from 'class-transformer';
import { IsArray, IsIn, IsObject, IsString, IsUUID, Length, ValidateNested } from 'class-validator';
import { IsStringMap } from '../../common/string-map.validator';
import { IsOptionalButNotNull } from '../../common/validation';
import { INCIDENT_STATES, IncidentState, SEVERITIES, Severity } from '../../domain';
import { EVENT_TYPES, EventType } from '../../events/event.types';
import { FILTER_KEYS } from './stream-protocol';
import { HasOnlyKeys, IsRfc3339 } from './validators';

/**
 * Subscription filters as the client sends them. Every key is optional (absent = match everything) but never
 * `null`; an unknown key, an unknown enum value or a wrong type is rejected rather than ignored, because ignoring
 * it would silently widen the subscription.
 */
export class SubscriptionFiltersDto {
  @IsOptionalButNotNull()
  @IsArray()
  @IsIn(EVENT_TYPES, { each: true })
  event_types?: EventType[];

  @IsOptionalButNotNull()
  @IsArray()
  @IsIn(SEVERITIES, { each: true })
  severities?: Severity[];

  @IsOptionalButNotNull()
  @IsArray()
  @IsIn(INCIDENT_STATES, { each: true })
  states?: IncidentState[];

  @IsOptionalButNotNull()
  @IsArray()
  @IsString({ each: true })
  sources?: string[];

  @IsOptionalButNotNull()
  @IsArray()
  @IsString({ each: true })
  affected_resources?: string[];

  @IsOptionalButNotNull()
  // The same bounds as the labels an incident can carry: a filter on a label that cannot exist matches nothing.
  @IsStringMap()
  labels?: Record<string, string>;

  @IsOptionalButNotNull()
  @IsArray()
  @IsUUID('all', { each: true })
  incident_ids?: string[];
}

export class SubscribeMessageDto {
  @IsString()
  @Length(1, 128)
  subscription_id!: string;

  @IsObject()
  @HasOnlyKeys(FILTER_KEYS)
  @ValidateNested()
  @Type(() => SubscriptionFiltersDto)
  filters!: SubscriptionFiltersDto;
}

export class UnsubscribeMessageDto {
  @IsString()
  @Length(1, 128)
  subscription_id!: string;
}

export class PingMessageDto {
  @IsRfc3339()
  timestamp!: string;
}

export class AckMessageDto {
  @IsString()
  @Length(1, 128)
  message_id!: string;
}
