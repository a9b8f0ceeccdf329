import { Body, Controller, Delete, Get, HttpCode, Post, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param.pipe';
import { IncidentsService } from '../incidents/incidents.service';
import { PlaybookDto, RunPlaybookDto } from './dto/playbook.dto';
import { Playbook, PlaybookRun, RunTrigger, toPlaybookView, toRunView } from './playbook';
import { PlaybookRunnerService } from './playbook-runner.service';
import { PlaybooksService } from './playbooks.service';
import { RequireScope } from '../auth/access.decorator';
import { CallerName } from '../auth/caller.decorator';
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
    @CallerName() caller?: string,
  ): Promise<PlaybookRun> {
    const incident = await this.incidents.get(id);
    const playbook = await this.playbooks.get(playbookId);
    return toRunView(
      await this.runner.start(incident, playbook, RunTrigger.Manual, dto.actor ?? caller ?? 'api'),
    );
  }

  @RequireScope(Scope.IncidentsRead)
  @Get('incidents/:id/playbook-runs')
  async incidentRuns(@UuidParam() id: string): Promise<{ runs: PlaybookRun[] }> {
    await this.incidents.get(id);
    return { runs: (await this.runner.runsOf(id)).map(toRunView) };
  }

  @RequireScope(Scope.IncidentsRead)
  @Get('playbook-runs/:id')
  async getRun(@UuidParam() id: string): Promise<PlaybookRun> {
    return toRunView(await this.runner.getRun(id));
  }
}
