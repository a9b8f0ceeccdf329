import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { Metric } from './metric-names';

/** Counts and times every HTTP request by its route template (not its raw path, to bound label cardinality). */
@Injectable()
export class HttpMetrics {
  constructor(
    @InjectMetric(Metric.HttpRequests) private readonly requests: Counter<string>,
    @InjectMetric(Metric.HttpRequestDuration) private readonly duration: Histogram<string>,
  ) {}

  /** Observes every response of this server. */
  register(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      this.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
      this.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      done();
    });
  }
}
