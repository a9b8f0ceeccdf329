import { Module } from '@nestjs/common';
import { IncidentsModule } from '../incidents/incidents.module';
import { NotificationsModule } from '../notifications/notifications.module';
import { EscalationController } from './escalation.controller';
import { EscalationListener } from './escalation.listener';
import { EscalationPoliciesRepository } from './escalation-policies.repository';
import { EscalationPoliciesService } from './escalation-policies.service';
import { EscalationStatesRepository } from './escalation-states.repository';
import { EscalationEngine } from './escalation.engine';
import { EscalationScheduler } from './escalation.scheduler';
import { EscalationService } from './escalation.service';

/** Escalation policies (REST) and the engine that escalates unacknowledged incidents on schedule. */
@Module({
  imports: [IncidentsModule, NotificationsModule],
  controllers: [EscalationController],
  providers: [
    EscalationPoliciesRepository,
    EscalationPoliciesService,
    EscalationStatesRepository,
    EscalationScheduler,
    EscalationEngine,
    EscalationService,
    EscalationListener,
  ],
})
export class EscalationModule {}
