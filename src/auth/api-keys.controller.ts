import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import { RequireScope } from './access.decorator';
import { ApiKeyView, CreatedApiKey } from './api-key';
import { ApiKeysService } from './api-keys.service';
import { CreateApiKeyDto } from './dto/create-api-key.dto';
import { Scope } from './scopes';

@ApiTags('api-keys')
@Controller('v1/api-keys')
@RequireScope(Scope.Admin)
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  /** The answer carries the key: the only time it is ever shown. */
  @Post()
  @HttpCode(201)
  create(@Body() dto: CreateApiKeyDto): Promise<CreatedApiKey> {
    return this.apiKeys.create(dto);
  }

  /** Every key, revoked ones included (`revoked_at` set); never the key. */
  @Get()
  async list(): Promise<{ api_keys: ApiKeyView[] }> {
    return { api_keys: await this.apiKeys.list() };
  }

  @Delete(':id')
  @HttpCode(204)
  revoke(@UuidParam() id: string): Promise<void> {
    return this.apiKeys.revoke(id);
  }
}
