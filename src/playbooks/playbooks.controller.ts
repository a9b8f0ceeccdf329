import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import { IncidentsService } from '../incidents/incidents.service';
import { PlaybookDto, RunPlaybookDto } from './dto/playbook.dto';
import { Playbook, PlaybookRun, RunTrigger, toPlaybookView, toRunView } from './playbook';
import { PlaybookRunnerService } from './playbook-runner.service';
import { PlaybooksService } from './playbooks.service';
import { RequireScope } from '../auth/access.decorator';
import { CallerConstraint } from '../auth/caller-constraint.decorator';
import { CallerName } from '../auth/caller.decorator';
import { NotFoundError } from '../common/api-error';
import type { IncidentConstraint } from '../common/incident-constraint';
import { Scope } from '../auth/scopes';

@ApiTags('playbooks')
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
  async create(@Body() dto: PlaybookDto): Promise<Playbook> {
    return toPlaybookView(await this.playbooks.create(dto));
  }

  @RequireScope(Scope.Admin)
  @Get('playbooks')
  async list(): Promise<{ playbooks: Playbook[] }> {
    return { playbooks: (await this.playbooks.list()).map(toPlaybookView) };
  }

  @RequireScope(Scope.Admin)
  @Get('playbooks/:id')
  async get(@UuidParam() id: string): Promise<Playbook> {
    return toPlaybookView(await this.playbooks.get(id));
  }

  @RequireScope(Scope.Admin)
  @Put('playbooks/:id')
  async replace(@UuidParam() id: string, @Body() dto: PlaybookDto): Promise<Playbook> {
    return toPlaybookView(await this.playbooks.replace(id, dto));
  }

  @RequireScope(Scope.Admin)
  @Delete('playbooks/:id')
  @HttpCode(204)
  delete(@UuidParam() id: string): Promise<void> {
    return this.playbooks.delete(id);
  }

  /** Runs a playbook on the incident now (enabled or not, whatever its triggers); answers with the queued run. */
  @RequireScope(Scope.IncidentsWrite)
  @Post('incidents/:id/playbooks/:playbookId/run')
  @HttpCode(200)
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
  async incidentRuns(
    @UuidParam() id: string,
    @CallerConstraint() constraint: IncidentConstraint | null,
  ): Promise<{ runs: PlaybookRun[] }> {
    await this.incidents.get(id, constraint);
    return { runs: (await this.runner.runsOf(id)).map(toRunView) };
  }

  @RequireScope(Scope.IncidentsRead)
  @Get('playbook-runs/:id')
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
