import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { metricProviders } from './metrics.providers';

@Global()
@Module({
  imports: [PrometheusModule.register({ path: '/metrics', defaultMetrics: { enabled: true } })],
  providers: [...metricProviders, HttpMetricsMiddleware],
  exports: [...metricProviders, HttpMetricsMiddleware],
})
export class MetricsModule {}
