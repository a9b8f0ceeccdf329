import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ApiUuidParam } from '../common/openapi/api-uuid-param.decorator';
import { UuidParam } from '../common/uuid-param.pipe';
import { RequireScope } from './access.decorator';
import { ApiKeyView, CreatedApiKey } from './api-key';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyListSchema, CreatedApiKeySchema } from './dto/api-key.response';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { Scope } from './scopes';

@ApiTags('api-keys')
@ApiErrors(401, [403, 'AUTHORIZATION_ERROR: the credential lacks the admin scope'], 429)
@Controller('v1/api-keys')
@RequireScope(Scope.Admin)
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** The answer carries the key: the only time it is ever shown. */
  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createApiKey',
    summary: 'Create an API key; the answer is the only time the key is shown',
  })
  @ApiCreatedResponse({ type: CreatedApiKeySchema, description: 'The key, with its token' })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: unknown scope, past expiry, invalid constraint'],
    [409, 'CONFLICT: the name is taken'],
    413,
    415,
  )
  create(@Body() dto: CreateApiKeyDto): Promise<CreatedApiKey> {
    return this.apiKeys.create(dto);
  }

  /** Every key, revoked ones included (`revoked_at` set); never the key. */
  @Get()
  @ApiOperation({
    operationId: 'listApiKeys',
    summary: 'List API keys, revoked ones included; never the key',
  })
  @ApiOkResponse({ type: ApiKeyListSchema, description: 'Every key, oldest first' })
  async list(): Promise<{ api_keys: ApiKeyView[] }> {
    return { api_keys: await this.apiKeys.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key at once; WebSockets using it are closed with 4001',
  })
  @ApiUuidParam()
  @ApiNoContentResponse({ description: 'Revoked (revoking a revoked key changes nothing)' })
  @ApiErrors([400, 'VALIDATION_ERROR: the id is not a UUID'], [404, 'NOT_FOUND: no such key'])
  revoke(@UuidParam() id: string): Promise<void> {
    return this.apiKeys.revoke(id);
  }
}
