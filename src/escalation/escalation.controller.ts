import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
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
import { EscalationPolicyDto } from './dto/escalation-policy.dto';
import {
  EscalationPolicyListSchema,
  EscalationPolicySchema,
  IncidentEscalationSchema,
} from './dto/escalation-policy.response';
import { EscalationPoliciesService } from './escalation-policies.service';
import { EscalationPolicy, toPolicyView } from './escalation-policy';
import { EscalationService, EscalationView } from './escalation.service';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import type { IncidentConstraint } from '../common/incident-constraint';
import { Scope } from '../auth/scopes';

const BAD_ID = [400, 'VALIDATION_ERROR: the id is not a UUID'] as const;
const NO_SUCH_POLICY = [404, 'NOT_FOUND: no such escalation policy'] as const;
const NAME_TAKEN = [409, 'CONFLICT: another policy has this name'] as const;

@ApiTags('escalation')
@ApiErrors(401, 403, 429)
@Controller('v1')
export class EscalationController {
  constructor(
    private readonly policies: EscalationPoliciesService,
    private readonly escalation: EscalationService,
  ) {}

  @RequireScope(Scope.Admin)
  @Post('escalation-policies')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createEscalationPolicy',
    summary: 'Create an escalation policy: levels of targets, each after a delay, until someone acknowledges',
  })
  @ApiCreatedResponse({ type: EscalationPolicySchema, description: 'The policy (webhook secrets masked)' })
  @ApiErrors(400, NAME_TAKEN, 413, 415)
  async create(@Body() dto: EscalationPolicyDto): Promise<EscalationPolicy> {
    return toPolicyView(await this.policies.create(dto));
  }

  @RequireScope(Scope.Admin)
  @Get('escalation-policies')
  @ApiOperation({ operationId: 'listEscalationPolicies', summary: 'List escalation policies, oldest first' })
  @ApiOkResponse({ type: EscalationPolicyListSchema, description: 'Every policy (webhook secrets masked)' })
  async list(): Promise<{ policies: EscalationPolicy[] }> {
    return { policies: (await this.policies.list()).map(toPolicyView) };
  }

  @RequireScope(Scope.Admin)
  @Get('escalation-policies/:id')
  @ApiOperation({ operationId: 'getEscalationPolicy', summary: 'Get one escalation policy' })
  @ApiUuidParam()
  @ApiOkResponse({ type: EscalationPolicySchema, description: 'The policy (webhook secrets masked)' })
  @ApiErrors(BAD_ID, NO_SUCH_POLICY)
  async get(@UuidParam() id: string): Promise<EscalationPolicy> {
    return toPolicyView(await this.policies.get(id));
  }

  @RequireScope(Scope.Admin)
  @Put('escalation-policies/:id')
  @ApiOperation({
    operationId: 'replaceEscalationPolicy',
    summary: 'Replace an escalation policy; running escalations use the new levels from their next one',
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: EscalationPolicySchema, description: 'The policy as replaced' })
  @ApiErrors(400, NO_SUCH_POLICY, NAME_TAKEN, 413, 415)
  async replace(@UuidParam() id: string, @Body() dto: EscalationPolicyDto): Promise<EscalationPolicy> {
    return toPolicyView(await this.policies.replace(id, dto));
  }

  @RequireScope(Scope.Admin)
  @Delete('escalation-policies/:id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteEscalationPolicy',
    summary: 'Delete an escalation policy; the escalations it runs stop',
  })
  @ApiUuidParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(BAD_ID, NO_SUCH_POLICY)
  delete(@UuidParam() id: string): Promise<void> {
    return this.policies.delete(id);
  }

  /** The incident's escalation schedule: policy, status, next level and when it is due. */
  @RequireScope(Scope.IncidentsRead)
  @Get('incidents/:id/escalation')
  @ApiOperation({
    operationId: 'getIncidentEscalation',
    summary: "An incident's escalation: its policy, status, next level and when it is due",
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: IncidentEscalationSchema, description: 'The escalation' })
  @ApiErrors(BAD_ID, [
    404,
    "NOT_FOUND: no such incident, none escalated, or outside the credential's constraint",
  ])
  state(
    @UuidParam() id: string,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<EscalationView> {
    return this.escalation.view(id, constraint);
  }
}
