import { Global, Inject, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { metricProviders } from './metrics.providers';

/** How often the event-loop delay (`nodejs_eventloop_lag_*`) is sampled. */
const EVENT_LOOP_SAMPLE_MS = 100;

@Global()
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      controller: MetricsController,
      // The event-loop delay is sampled every 100 ms (prom-client's 10 ms woke an idle server 100 times a second).
      defaultMetrics: { enabled: true, config: { eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS } },
    }),
  ],
  providers: [...metricProviders, HttpMetrics],
  exports: [...metricProviders, HttpMetrics],
})
export class MetricsModule {
  /**
   * Every series carries the node's name (`node="<NODE_NAME>"`, contract section 11), so that the nodes of a cluster
   * scraped into one Prometheus stay apart. Set on the registry the module serves (prom-client's global one, shared
   * by every app in a process: the last app started names the node, which only tests run several of).
   */
  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    register.setDefaultLabels({ node: config.nodeName });
  }
}
