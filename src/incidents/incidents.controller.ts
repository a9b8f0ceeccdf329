import { Body, Controller, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ValidationError } from '../common/api-error';
import { ApiErrors } from '../common/openapi/api-errors.decorator';
import { ApiUuidParam } from '../common/openapi/api-uuid-param.decorator';
import { IncidentNoteSchema, IncidentPageSchema, IncidentSchema } from '../common/openapi/incident.schema';
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

/** An incident id that is unknown, or outside the credential's constraint. */
const NO_SUCH_INCIDENT = [
  404,
  "NOT_FOUND: no such incident (or outside the credential's constraint)",
] as const;
/** Closed is final. */
const CLOSED = [409, 'INVALID_STATE_TRANSITION: the incident is Closed'] as const;

@ApiTags('incidents')
@ApiErrors(401, 403, 429)
@Controller('v1/incidents')
export class IncidentsController {
  constructor(private readonly incidents: IncidentsService) {}

  @RequireScope(Scope.IncidentsWrite)
  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createIncident',
    summary: 'Create an incident by hand (Detected), without an alert',
  })
  @ApiCreatedResponse({ type: IncidentSchema, description: 'The new incident' })
  @ApiErrors(400, 413, 415)
  create(
    @Body() dto: CreateIncidentDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<Incident> {
    return this.incidents.create(dto, constraint);
  }

  @RequireScope(Scope.IncidentsRead)
  @Get()
  @ApiOperation({
    operationId: 'listIncidents',
    summary: 'List incidents, newest first, a page at a time',
    description:
      'Filters combine (AND); a list filter matches any of its values (?state=A&state=B or ?state=A,B).',
  })
  @ApiOkResponse({ type: IncidentPageSchema, description: 'A page of incidents and how many match in all' })
  @ApiErrors(400)
  list(
    @Query() query: ListIncidentsQuery,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<IncidentPage> {
    return this.incidents.list(query, constraint);
  }

  @RequireScope(Scope.IncidentsRead)
  @Get(':id')
  @ApiOperation({
    operationId: 'getIncident',
    summary: 'Get one incident, with its timeline and notes',
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: IncidentSchema, description: 'The incident' })
  @ApiErrors([400, 'VALIDATION_ERROR: the id is not a UUID'], NO_SUCH_INCIDENT)
  get(@UuidParam() id: string, @CallerConstraint() constraint: IncidentConstraint | null): Promise<Incident> {
    return this.incidents.get(id, constraint);
  }

  @RequireScope(Scope.IncidentsWrite)
  @Patch(':id')
  @ApiOperation({
    operationId: 'updateIncident',
    summary: 'Change the state, severity, assignees or labels of an incident',
    description:
      'Only the fields given change. A state change follows the lifecycle rules (Closed is final); a severity ' +
      'change is published as severity_changed.',
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: IncidentSchema, description: 'The incident, changed' })
  @ApiErrors(400, NO_SUCH_INCIDENT, [409, 'INVALID_STATE_TRANSITION: the change leaves Closed'], 413, 415)
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
  @ApiOperation({
    operationId: 'replaceIncident',
    summary: 'Change an incident, as PATCH does (the same body and rules)',
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: IncidentSchema, description: 'The incident, changed' })
  @ApiErrors(400, NO_SUCH_INCIDENT, [409, 'INVALID_STATE_TRANSITION: the change leaves Closed'], 413, 415)
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
  @ApiOperation({
    operationId: 'resolveIncident',
    summary: 'Resolve an active incident, with how and why',
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: IncidentSchema, description: 'The incident, Resolved, with its resolution' })
  @ApiErrors(
    400,
    NO_SUCH_INCIDENT,
    [409, 'INVALID_STATE_TRANSITION: the incident is Resolved or Closed already'],
    413,
    415,
  )
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
    operationId: 'acknowledgeIncident',
    summary: 'Acknowledge: Detected -> Triaged (stops its escalation); a no-op on any other active state',
  })
  @ApiUuidParam()
  @ApiBody({ type: AcknowledgeIncidentDto, required: false })
  @ApiOkResponse({
    type: IncidentSchema,
    description: 'The incident (unchanged, and nothing published, unless it was Detected)',
  })
  @ApiErrors(
    [400, 'VALIDATION_ERROR: a bad id or body'],
    NO_SUCH_INCIDENT,
    [409, 'INVALID_STATE_TRANSITION: the incident is Resolved or Closed'],
    413,
    415,
  )
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
  @ApiOperation({
    operationId: 'closeIncident',
    summary: 'Close an incident, from any state (final); closing a Closed incident changes nothing',
  })
  @ApiUuidParam()
  @ApiBody({ type: CloseIncidentDto, required: false })
  @ApiOkResponse({ type: IncidentSchema, description: 'The incident, Closed' })
  @ApiErrors(400, NO_SUCH_INCIDENT, 413, 415)
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
  @ApiOperation({
    operationId: 'addIncidentComment',
    summary: "Add a comment to an incident's notes (and timeline)",
  })
  @ApiUuidParam()
  @ApiCreatedResponse({ type: IncidentNoteSchema, description: 'The note added' })
  @ApiErrors(400, NO_SUCH_INCIDENT, CLOSED, 413, 415)
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
  @ApiOperation({
    operationId: 'escalateIncident',
    summary: 'Raise the severity of an active incident by hand',
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: IncidentSchema, description: 'The incident, at its new severity' })
  @ApiErrors(
    400,
    NO_SUCH_INCIDENT,
    [409, 'INVALID_STATE_TRANSITION: the incident is not active, or to_severity is not more severe'],
    413,
    415,
  )
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
