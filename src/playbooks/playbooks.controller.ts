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
import { IncidentsService } from '../incidents/incidents.service';
import { PlaybookDto, RunPlaybookDto } from './dto/playbook.dto';
import {
  PlaybookListSchema,
  PlaybookRunListSchema,
  PlaybookRunSchema,
  PlaybookSchema,
} from './dto/playbook.response';
import { Playbook, PlaybookRun, RunTrigger, toPlaybookView, toRunView } from './playbook';
import { PlaybookRunnerService } from './playbook-runner.service';
import { PlaybooksService } from './playbooks.service';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import { CallerName } from '../auth/caller.decorator';
import { NotFoundError } from '../common/api-error';
import type { IncidentConstraint } from '../common/incident-constraint';
import { Scope } from '../auth/scopes';

const BAD_ID = [400, 'VALIDATION_ERROR: an id is not a UUID'] as const;
const NO_SUCH_PLAYBOOK = [404, 'NOT_FOUND: no such playbook'] as const;
const NAME_TAKEN = [409, 'CONFLICT: another playbook has this name'] as const;
const NO_SUCH_INCIDENT = [
  404,
  "NOT_FOUND: no such incident (or outside the credential's constraint)",
] as const;

@ApiTags('playbooks')
@ApiErrors(401, 403, 429)
@Controller('v1')
export class PlaybooksController {
  constructor(
    private readonly playbooks: PlaybooksService,
    private readonly runner: PlaybookRunnerService,
    private readonly incidents: IncidentsService,
  ) {}

  @RequireScope(Scope.Admin)
  @Post('playbooks')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'createPlaybook',
    summary:
      'Create a playbook: steps (webhook, wait, labels, state, severity, notify, resolve) run on incidents',
  })
  @ApiCreatedResponse({ type: PlaybookSchema, description: 'The playbook (webhook secrets masked)' })
  @ApiErrors(400, NAME_TAKEN, 413, 415)
  async create(@Body() dto: PlaybookDto): Promise<Playbook> {
    return toPlaybookView(await this.playbooks.create(dto));
  }

  @RequireScope(Scope.Admin)
  @Get('playbooks')
  @ApiOperation({ operationId: 'listPlaybooks', summary: 'List playbooks, oldest first' })
  @ApiOkResponse({ type: PlaybookListSchema, description: 'Every playbook (webhook secrets masked)' })
  async list(): Promise<{ playbooks: Playbook[] }> {
    return { playbooks: (await this.playbooks.list()).map(toPlaybookView) };
  }

  @RequireScope(Scope.Admin)
  @Get('playbooks/:id')
  @ApiOperation({ operationId: 'getPlaybook', summary: 'Get one playbook' })
  @ApiUuidParam()
  @ApiOkResponse({ type: PlaybookSchema, description: 'The playbook (webhook secrets masked)' })
  @ApiErrors(BAD_ID, NO_SUCH_PLAYBOOK)
  async get(@UuidParam() id: string): Promise<Playbook> {
    return toPlaybookView(await this.playbooks.get(id));
  }

  @RequireScope(Scope.Admin)
  @Put('playbooks/:id')
  @ApiOperation({
    operationId: 'replacePlaybook',
    summary: 'Replace a playbook; runs already queued keep the steps they started with',
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: PlaybookSchema, description: 'The playbook as replaced' })
  @ApiErrors(400, NO_SUCH_PLAYBOOK, NAME_TAKEN, 413, 415)
  async replace(@UuidParam() id: string, @Body() dto: PlaybookDto): Promise<Playbook> {
    return toPlaybookView(await this.playbooks.replace(id, dto));
  }

  @RequireScope(Scope.Admin)
  @Delete('playbooks/:id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deletePlaybook', summary: 'Delete a playbook' })
  @ApiUuidParam()
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(BAD_ID, NO_SUCH_PLAYBOOK)
  delete(@UuidParam() id: string): Promise<void> {
    return this.playbooks.delete(id);
  }

  /** Runs a playbook on the incident now (enabled or not, whatever its triggers); answers with the queued run. */
  @RequireScope(Scope.IncidentsWrite)
  @Post('incidents/:id/playbooks/:playbookId/run')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'runPlaybook',
    summary: 'Run a playbook on an incident now, enabled or not, whatever its triggers',
  })
  @ApiUuidParam('id', 'The incident')
  @ApiUuidParam('playbookId', 'The playbook')
  @ApiOkResponse({ type: PlaybookRunSchema, description: 'The run, queued' })
  @ApiErrors(
    400,
    [404, "NOT_FOUND: no such incident or playbook (or the incident is outside the credential's constraint)"],
    413,
    415,
  )
  async run(
    @UuidParam() id: string,
    @UuidParam('playbookId') playbookId: string,
    @Body() dto: RunPlaybookDto,
    @CallerConstraint() constraint: IncidentConstraint | null,
    @CallerName() caller?: string,
  ): Promise<PlaybookRun> {
    const incident = await this.incidents.get(id, constraint);
    const playbook = await this.playbooks.get(playbookId);
    return toRunView(
      await this.runner.start(incident, playbook, RunTrigger.Manual, dto.actor ?? caller ?? 'api'),
    );
  }

  @RequireScope(Scope.IncidentsRead)
  @Get('incidents/:id/playbook-runs')
  @ApiOperation({ operationId: 'listIncidentPlaybookRuns', summary: "List an incident's playbook runs" })
  @ApiUuidParam()
  @ApiOkResponse({ type: PlaybookRunListSchema, description: "The incident's runs" })
  @ApiErrors(BAD_ID, NO_SUCH_INCIDENT)
  async incidentRuns(
    @UuidParam() id: string,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<{ runs: PlaybookRun[] }> {
    await this.incidents.get(id, constraint);
    return { runs: (await this.runner.runsOf(id)).map(toRunView) };
  }

  @RequireScope(Scope.IncidentsRead)
  @Get('playbook-runs/:id')
  @ApiOperation({
    operationId: 'getPlaybookRun',
    summary: 'Get one playbook run, with the result of each step',
  })
  @ApiUuidParam()
  @ApiOkResponse({ type: PlaybookRunSchema, description: 'The run' })
  @ApiErrors(BAD_ID, [404, "NOT_FOUND: no such run (or its incident is outside the credential's constraint)"])
  async getRun(
    @UuidParam() id: string,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<PlaybookRun> {
    const run = await this.runner.getRun(id);
    // A run on an incident outside the caller's constraint is answered as a missing run.
    if (constraint !== null && !(await this.incidents.isVisible(run.incident_id, constraint))) {
      throw new NotFoundError(`Playbook run ${id}`);
    }
    return toRunView(run);
  }
}
