import { DynamicModule, Module } from '@nestjs/common';
import { AlertsModule } from './alerts/alerts.module';
import { AuthModule } from './auth/auth.module';
import { Clock } from './clock/clock';
import { ClusterModule } from './cluster/cluster.module';
import { ClockModule } from './clock/clock.module';
import { ConfigModule } from './config/config.module';
import { DashboardModule } from './dashboard/dashboard.module';
import { EscalationModule } from './escalation/escalation.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { IncidentsModule } from './incidents/incidents.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationsModule } from './notifications/notifications.module';
import { PlaybooksModule } from './playbooks/playbooks.module';
import { HttpShutdownService } from './shutdown/http-shutdown.service';
import { StorageModule } from './storage/storage.module';
import { StreamingModule } from './streaming/streaming.module';
import { SystemModule } from './system/system.module';

/** What tests may replace in the application; production passes nothing. */
export interface AppOptions {
  /** The clock every feature reads time through (default: the system clock). */
  clock?: Clock;
}

/**
 * The application. `forRoot(overrides)` validates the environment (plus overrides, used by tests) and wires
 * every feature module.
 */
@Module({})
export class AppModule {
  static forRoot(overrides: Record<string, string> = {}, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(overrides),
        ClockModule.forRoot(options.clock),
        LoggingModule,
        MetricsModule,
        StorageModule,
        ClusterModule,
        AuthModule,
        EventsModule,
        HealthModule,
        IncidentsModule,
        AlertsModule,
        IntegrationsModule,
        StreamingModule,
        NotificationsModule,
        EscalationModule,
        PlaybooksModule,
        SystemModule,
        DashboardModule,
      ],
      // In the root module because Nest runs the root module's shutdown hooks first: HTTP stops before the rest.
      providers: [HttpShutdownService],
    };
  }
}
