import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { BroadcasterService } from '../events/broadcaster.service';
import { EventType } from '../events/event.types';
import { RunTrigger } from './playbook';
import { PLAYBOOK_ACTOR, PlaybookRunnerService } from './playbook-runner.service';
import { PlaybooksService } from './playbooks.service';

/**
 * Runs the playbooks a new incident triggers. Matching happens in memory in the callback; queuing the runs (a
 * database write) happens outside it, and a failure is logged, never thrown into the event stream.
 */
@Injectable()
export class PlaybooksListener implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PlaybooksListener.name);
  private subscription?: Subscription;

  constructor(
    private readonly broadcaster: BroadcasterService,
    private readonly playbooks: PlaybooksService,
    private readonly runner: PlaybookRunnerService,
  ) {}

  onModuleInit(): void {
    this.subscription = this.broadcaster.listen('PlaybooksListener', ({ event, incident }) => {
      if (event.event_type !== EventType.IncidentCreated || !incident) return;
      const triggered = this.playbooks.triggeredBy(incident);
      if (triggered.length === 0) return;
      void (async () => {
        for (const playbook of triggered) {
          await this.runner
            .start(incident, playbook, RunTrigger.Automatic, PLAYBOOK_ACTOR)
            .catch((error: unknown) =>
              this.logger.warn(
                `could not start playbook ${playbook.name} on ${incident.id}: ${String(error)}`,
              ),
            );
        }
      })();
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
