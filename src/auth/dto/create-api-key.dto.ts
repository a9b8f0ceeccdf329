import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsRFC3339,
  IsString,
  Length,
  ValidateIf,
} from 'class-validator';
import { IsSubscriptionFilters } from '../../common/subscription-filters';
import { IsOptionalButNotNull } from '../../common/validation';
import { SCOPES, Scope } from '../scopes';

/** `POST /v1/api-keys`. */
export class CreateApiKeyDto {
  @ApiProperty({ minLength: 1, maxLength: 128, example: 'alertmanager-prod', description: 'Unique' })
  @IsString()
  @Length(1, 128)
  name!: string;

  @ApiProperty({ enum: SCOPES, isArray: true, minItems: 1, example: ['alerts:write'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes!: Scope[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description:
      'Filter (subscription filter keys) AND-ed into every read and subscription made with the key',
  })
  // Validated exactly like a subscription's filters: an unknown key or a wrong type must never widen the key.
  @ValidateIf((dto: CreateApiKeyDto) => dto.constraint !== undefined && dto.constraint !== null)
  @IsSubscriptionFilters()
  constraint?: Record<string, unknown> | null;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'RFC 3339, in the future; none: never',
  })
  @IsOptionalButNotNull()
  @ValidateIf((dto: CreateApiKeyDto) => dto.expires_at !== null)
  @IsRFC3339()
  expires_at?: string | null;
}
