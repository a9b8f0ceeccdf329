import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import { RequireScope } from './access.decorator';
import { ApiKeyView, CreatedApiKey } from './api-key';
import { ApiKeysService } from './api-keys.service';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { Scope } from './scopes';

@ApiTags('api-keys')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'AUTHENTICATION_ERROR: no valid credential' })
@ApiResponse({ status: 403, description: 'AUTHORIZATION_ERROR: the credential lacks the admin scope' })
@Controller('v1/api-keys')
@RequireScope(Scope.Admin)
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** The answer carries the key: the only time it is ever shown. */
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Create an API key; the answer is the only time the key is shown' })
  @ApiResponse({
    status: 400,
    description: 'VALIDATION_ERROR: unknown scope, past expiry, invalid constraint',
  })
  @ApiResponse({ status: 409, description: 'CONFLICT: the name is taken' })
  create(@Body() dto: CreateApiKeyDto): Promise<CreatedApiKey> {
    return this.apiKeys.create(dto);
  }

  /** Every key, revoked ones included (`revoked_at` set); never the key. */
  @Get()
  @ApiOperation({ summary: 'List API keys, revoked ones included; never the key' })
  async list(): Promise<{ api_keys: ApiKeyView[] }> {
    return { api_keys: await this.apiKeys.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API key at once; WebSockets using it are closed with 4001' })
  @ApiResponse({ status: 404, description: 'NOT_FOUND: no such key' })
  revoke(@UuidParam() id: string): Promise<void> {
    return this.apiKeys.revoke(id);
  }
}
