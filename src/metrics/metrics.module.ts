import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { metricProviders } from './metrics.providers';

@Global()
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      controller: MetricsController,
      defaultMetrics: { enabled: true },
    }),
  ],
  providers: [...metricProviders, HttpMetrics],
  exports: [...metricProviders, HttpMetrics],
})
export class MetricsModule {}
