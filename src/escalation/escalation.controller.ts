import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import { EscalationPolicyDto } from './dto/escalation-policy.dto';
import { EscalationPoliciesService } from './escalation-policies.service';
import { EscalationPolicy, toPolicyView } from './escalation-policy';
import { EscalationService, EscalationView } from './escalation.service';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import type { IncidentConstraint } from '../common/incident-constraint';
import { Scope } from '../auth/scopes';

@ApiTags('escalation')
@Controller('v1')
export class EscalationController {
  constructor(
    private readonly policies: EscalationPoliciesService,
    private readonly escalation: EscalationService,
  ) {}

  @RequireScope(Scope.Admin)
  @Post('escalation-policies')
  @HttpCode(201)
  async create(@Body() dto: EscalationPolicyDto): Promise<EscalationPolicy> {
    return toPolicyView(await this.policies.create(dto));
  }

  @RequireScope(Scope.Admin)
  @Get('escalation-policies')
  async list(): Promise<{ policies: EscalationPolicy[] }> {
    return { policies: (await this.policies.list()).map(toPolicyView) };
  }

  @RequireScope(Scope.Admin)
  @Get('escalation-policies/:id')
  async get(@UuidParam() id: string): Promise<EscalationPolicy> {
    return toPolicyView(await this.policies.get(id));
  }

  @RequireScope(Scope.Admin)
  @Put('escalation-policies/:id')
  async replace(@UuidParam() id: string, @Body() dto: EscalationPolicyDto): Promise<EscalationPolicy> {
    return toPolicyView(await this.policies.replace(id, dto));
  }

  @RequireScope(Scope.Admin)
  @Delete('escalation-policies/:id')
  @HttpCode(204)
  delete(@UuidParam() id: string): Promise<void> {
    return this.policies.delete(id);
  }

  /** The incident's escalation schedule: policy, status, next level and when it is due. */
  @RequireScope(Scope.IncidentsRead)
  @Get('incidents/:id/escalation')
  state(
    @UuidParam() id: string,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<EscalationView> {
    return this.escalation.view(id, constraint);
  }
}
