import { Type } from 'class-transformer';
import { IsObject, IsString, Length, ValidateNested } from 'class-validator';
import { HasOnlyKeys } from '../../common/has-only-keys.validator';
import { FILTER_KEYS, SubscriptionFiltersDto } from '../../common/subscription-filters';
import { IsRfc3339 } from './validators';

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

export class AuthMessageDto {
  @IsString()
  @Length(1, 8192)
  token!: string;
}

export class AckMessageDto {
  @IsString()
  @Length(1, 128)
  message_id!: string;
}
