import { Body, Controller, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ValidationError } from '../common/api-error';
import { UuidParam } from '../common/uuid-param.pipe';
import type { Incident, IncidentNote } from '../domain';
import { AcknowledgeIncidentDto } from './dto/acknowledge-incident.dto';
import { AddCommentDto } from './dto/add-comment.dto';
import { CloseIncidentDto } from './dto/close-incident.dto';
import { CreateIncidentDto } from './dto/create-incident.dto';
import { EscalateIncidentDto } from './dto/escalate-incident.dto';
import { ListIncidentsQuery } from './dto/list-incidents.query';
import { ResolveIncidentDto } from './dto/resolve-incident.dto';
import { UpdateIncidentDto } from './dto/update-incident.dto';
import { IncidentPage, IncidentsService } from './incidents.service';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import { CallerName } from '../auth/caller.decorator';
import type { IncidentConstraint } from '../common/incident-constraint';
import { Scope } from '../auth/scopes';

@ApiTags('incidents')
@Controller('v1/incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @RequireScope(Scope.IncidentsWrite)
  @Post()
  @HttpCode(201)
  create(
    @Body() dto: CreateIncidentDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<Incident> {
    return this.incidents.create(dto, constraint);
  }

  @RequireScope(Scope.IncidentsRead)
  @Get()
  @ApiOkResponse({ description: '{incidents, total, page, page_size}, newest first' })
  list(
    @Query() query: ListIncidentsQuery,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<IncidentPage> {
    return this.incidents.list(query, constraint);
  }

  @RequireScope(Scope.IncidentsRead)
  @Get(':id')
  get(@UuidParam() id: string, @CallerConstraint() constraint: IncidentConstraint | null): Promise<Incident> {
    return this.incidents.get(id, constraint);
  }

  @RequireScope(Scope.IncidentsWrite)
  @Patch(':id')
  update(
    @UuidParam() id: string,
    @Body() dto: UpdateIncidentDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
    @CallerName() caller?: string,
  ): Promise<Incident> {
    return this.incidents.update(id, { ...dto, actor: dto.actor ?? caller }, constraint);
  }

  @RequireScope(Scope.IncidentsWrite)
  @Put(':id')
  replace(
    @UuidParam() id: string,
    @Body() dto: UpdateIncidentDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
    @CallerName() caller?: string,
  ): Promise<Incident> {
    return this.incidents.update(id, { ...dto, actor: dto.actor ?? caller }, constraint);
  }

  @RequireScope(Scope.IncidentsWrite)
  @Post(':id/resolve')
  @HttpCode(200)
  resolve(
    @UuidParam() id: string,
    @Body() dto: ResolveIncidentDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
    @CallerName() caller?: string,
  ): Promise<Incident> {
    return this.incidents.resolve(
      id,
      { ...dto, resolved_by: actorOf('resolved_by', dto.resolved_by, caller) },
      constraint,
    );
  }

  @RequireScope(Scope.IncidentsWrite)
  @Post(':id/acknowledge')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Acknowledge: Detected -> Triaged (stops its escalation); a no-op on any other active state',
  })
  @ApiBody({ type: AcknowledgeIncidentDto, required: false })
  @ApiOkResponse({ description: 'The incident (unchanged, and nothing published, unless it was Detected)' })
  @ApiResponse({ status: 400, description: 'VALIDATION_ERROR: a bad id or body' })
  @ApiResponse({ status: 401, description: 'AUTHENTICATION_ERROR: no valid credential' })
  @ApiResponse({ status: 403, description: 'AUTHORIZATION_ERROR: the credential lacks incidents:write' })
  @ApiResponse({
    status: 404,
    description: "NOT_FOUND: no such incident (or outside the credential's constraint)",
  })
  @ApiResponse({ status: 409, description: 'INVALID_STATE_TRANSITION: the incident is Resolved or Closed' })
  acknowledge(
    @UuidParam() id: string,
    @Body() dto: AcknowledgeIncidentDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
    @CallerName() caller?: string,
  ): Promise<Incident> {
    return this.incidents.acknowledge(id, dto.actor ?? caller, constraint);
  }

  @RequireScope(Scope.IncidentsWrite)
  @Post(':id/close')
  @HttpCode(200)
  close(
    @UuidParam() id: string,
    @Body() dto: CloseIncidentDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
    @CallerName() caller?: string,
  ): Promise<Incident> {
    return this.incidents.close(id, dto.actor ?? caller, constraint);
  }

  @RequireScope(Scope.IncidentsWrite)
  @Post(':id/comments')
  @HttpCode(201)
  comment(
    @UuidParam() id: string,
    @Body() dto: AddCommentDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
    @CallerName() caller?: string,
  ): Promise<IncidentNote> {
    return this.incidents.addComment(
      id,
      { ...dto, author: actorOf('author', dto.author, caller) },
      constraint,
    );
  }

  @RequireScope(Scope.IncidentsWrite)
  @Post(':id/escalate')
  @HttpCode(200)
  escalate(
    @UuidParam() id: string,
    @Body() dto: EscalateIncidentDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
    @CallerName() caller?: string,
  ): Promise<Incident> {
    return this.incidents.escalate(id, { ...dto, actor: dto.actor ?? caller }, undefined, constraint);
  }
}

/**
 * Who a change is by: the body's field, else the credential's name. Without either (AUTH_MODE=none and no field)
 * the field is required, as it always was.
 */
function actorOf(field: string, named: string | undefined, caller: string | undefined): string {
  const actor = named ?? caller;
  if (actor === undefined) throw new ValidationError(`${field} is required`);
  return actor;
}
