import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { PlaybookActionsService } from './playbook-actions.service';
import { PlaybookRunnerService } from './playbook-runner.service';
import { PlaybookRunsRepository } from './playbook-runs.repository';
import { PlaybooksController } from './playbooks.controller';
import { PlaybooksListener } from './playbooks.listener';
import { PlaybooksRepository } from './playbooks.repository';
import { PlaybooksService } from './playbooks.service';

/** Playbooks (REST), their runs, and the listener that runs matching playbooks on new incidents. */
@Module({
  imports: [IncidentsModule, NotificationsModule],
  controllers: [PlaybooksController],
  providers: [
    PlaybooksRepository,
    PlaybookRunsRepository,
    PlaybooksService,
    PlaybookActionsService,
    PlaybookRunnerService,
    PlaybooksListener,
  ],
})
export class PlaybooksModule {}
