import { Body, Controller, Get, HttpCode, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import type { Incident, IncidentNote } from '../domain';
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
  create(@Body() dto: CreateIncidentDto): Promise<Incident> {
    return this.incidents.create(dto);
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
  ): Promise<Incident> {
    return this.incidents.resolve(id, dto, constraint);
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
  ): Promise<IncidentNote> {
    return this.incidents.addComment(id, dto, constraint);
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
