import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import type { ApiKeyView, CreatedApiKey } from '../api-key';
import { SCOPES, Scope } from '../scopes';

/** OpenAPI shape of an API key as listed (ApiKeyView): never the key nor its hash. */
@ApiSchema({ name: 'ApiKey' })
export class ApiKeySchema implements ApiKeyView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'alertmanager-prod' })
  name!: string;

  @ApiProperty({ enum: SCOPES, isArray: true })
  scopes!: Scope[];

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'The filter AND-ed into every read and subscription made with the key; null: none',
  })
  constraint!: Record<string, unknown> | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null: never expires' })
  expires_at!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'null while not revoked' })
  revoked_at!: string | null;
}

/** The answer to `POST /v1/api-keys`: the only time the key is shown. */
@ApiSchema({ name: 'CreatedApiKey' })
export class CreatedApiKeySchema implements CreatedApiKey {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ enum: SCOPES, isArray: true })
  scopes!: Scope[];

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  constraint!: Record<string, unknown> | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expires_at!: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at!: string;

  @ApiProperty({
    pattern: '^llmim_[A-Za-z0-9_-]{43}$',
    description: 'The bearer token. Shown only here: store it now',
  })
  key!: string;
}

@ApiSchema({ name: 'ApiKeyList' })
export class ApiKeyListSchema {
  @ApiProperty({ type: [ApiKeySchema], description: 'Revoked keys included' })
  api_keys!: ApiKeySchema[];
}
