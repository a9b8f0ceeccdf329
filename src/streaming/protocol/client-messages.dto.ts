import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsObject, IsString, Length, Max, Min, ValidateNested } from 'class-validator';
import { IsOptionalButNotNull } from '../../common/validation';
import { HasOnlyKeys } from '../../common/has-only-keys.validator';
import { FILTER_KEYS, SubscriptionFiltersDto } from '../../common/subscription-filters';
import { IsRfc3339 } from '../../common/rfc3339';

/** The longest subscription_id and message_id (also read by the fast checks, client-messages.fast-check.ts). */
export const MAX_CLIENT_ID_LENGTH = 128;

export class SubscribeMessageDto {
  @IsString()
  @Length(1, MAX_CLIENT_ID_LENGTH)
  subscription_id!: string;

  @IsObject()
  @HasOnlyKeys(FILTER_KEYS)
  @ValidateNested()
  @Type(() => SubscriptionFiltersDto)
  filters!: SubscriptionFiltersDto;

  /** Replay the stored matching events after this `sequence` before going live (contract section 7). */
  @IsOptionalButNotNull()
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  resume_from?: number;

  /** Send the matching active incidents as of the subscription's position first. */
  @IsOptionalButNotNull()
  @IsBoolean()
  snapshot?: boolean;
}

export class UnsubscribeMessageDto {
  @IsString()
  @Length(1, MAX_CLIENT_ID_LENGTH)
  subscription_id!: string;
}

export class PingMessageDto {
  @IsRfc3339()
  timestamp!: string;
}

export class AuthMessageDto {
  @IsString()
  @Length(1, 8192)
  token!: string;
}

export class AckMessageDto {
  @IsString()
  @Length(1, MAX_CLIENT_ID_LENGTH)
  message_id!: string;
}
