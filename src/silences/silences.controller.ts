import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import { CallerName } from '../auth/caller.decorator';
import { Scope } from '../auth/scopes';
import { ApiException, ErrorCode } from '../common/api-error';
import type { IncidentConstraint } from '../common/incident-constraint';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ApiUuidParam } from '../common/openapi/api-uuid-param.decorator';
import { UuidParam } from '../common/uuid-param.pipe';
import { CreateSilenceDto } from './dto/create-silence.dto';
import { ListSilencesQuery } from './dto/list-silences.query';
import { SilenceListSchema, SilenceSchema } from './dto/silence.response';
import type { SilenceView } from './silence';
import { SilencesService } from './silences.service';

/**
 * Silences (contract section 10): an on-call tool, so the on-call scopes rather than `admin` (which may do
 * everything anyway): `incidents:write` creates and expires, `incidents:read` reads. A silence applies to every
 * alert, so a credential with a constraint (which may only act inside it) may not create or expire one.
 */
@ApiTags('silences')
@ApiErrors(401, 429)
@Controller('v1/silences')
export class SilencesController {
  constructor(private readonly silences: SilencesService) {}

  @RequireScope(Scope.IncidentsWrite)
  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createSilence',
    summary:
      'Create a silence: alerts matching it while active are stored as suppressed and open no incident',
  })
  @ApiCreatedResponse({
    type: SilenceSchema,
    description: 'The silence, with its status (pending, active or expired) now',
  })
  @ApiErrors(
    [
      400,
      'VALIDATION_ERROR: no matcher, an invalid matcher or regex, matchers that all match the empty string, ' +
        'ends_at not after starts_at or not in the future, a bad instant',
    ],
    [403, 'AUTHORIZATION_ERROR: the credential lacks incidents:write, or carries a constraint'],
    [409, 'CONFLICT: 1,000 silences are pending or active already'],
    413,
    415,
  )
  create(
    @Body() dto: CreateSilenceDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
    @CallerName() caller?: string,
  ): Promise<SilenceView> {
    refuseConstrained(constraint);
    return this.silences.create(dto, caller);
  }

  @RequireScope(Scope.IncidentsRead)
  @Get()
  @ApiOperation({
    operationId: 'listSilences',
    summary: 'List silences, newest first, each with its status now',
  })
  @ApiOkResponse({ type: SilenceListSchema, description: 'The silences' })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: an unknown status'],
    [403, 'AUTHORIZATION_ERROR: the credential lacks incidents:read'],
  )
  async list(@Query() query: ListSilencesQuery): Promise<{ silences: SilenceView[] }> {
    return { silences: await this.silences.list(query.status) };
  }

  @RequireScope(Scope.IncidentsRead)
  @Get(':id')
  @ApiOperation({ operationId: 'getSilence', summary: 'Get one silence, with its status now' })
  @ApiUuidParam()
  @ApiOkResponse({ type: SilenceSchema, description: 'The silence' })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: the id is not a UUID'],
    [403, 'AUTHORIZATION_ERROR: the credential lacks incidents:read'],
    [404, 'NOT_FOUND: no such silence'],
  )
  get(@UuidParam() id: string): Promise<SilenceView> {
    return this.silences.get(id);
  }

  @RequireScope(Scope.IncidentsWrite)
  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'expireSilence',
    summary: 'Expire a silence now (ends_at = now); an expired one is answered unchanged',
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: SilenceSchema, description: 'The silence, expired' })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: the id is not a UUID'],
    [403, 'AUTHORIZATION_ERROR: the credential lacks incidents:write, or carries a constraint'],
    [404, 'NOT_FOUND: no such silence'],
  )
  expire(
    @UuidParam() id: string,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<SilenceView> {
    refuseConstrained(constraint);
    return this.silences.expire(id);
  }
}

function refuseConstrained(constraint: IncidentConstraint | null): void {
  if (constraint !== null) {
    throw new ApiException(
      ErrorCode.Authorization,
      'A credential with a constraint cannot create or expire silences: a silence applies to every alert',
      403,
    );
  }
}
