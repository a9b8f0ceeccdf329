import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Counter } from 'prom-client';
import { Metric } from '../metrics/metric-names';
import { zeroSeries } from '../metrics/zero-series';
import { AuthFailure } from './principal';

/** A valid credential without the scope the route or the stream needs. */
export const INSUFFICIENT_SCOPE = 'insufficient_scope';

/** Where the credential was presented. */
export type AuthTransport = 'http' | 'ws';

/** Counts refused credentials by reason (never the credential itself). */
@Injectable()
export class AuthMetrics {
  constructor(@InjectMetric(Metric.AuthFailures) private readonly failures: Counter<string>) {
    zeroSeries(failures, {
      reason: [...Object.values(AuthFailure), INSUFFICIENT_SCOPE],
      transport: ['http', 'ws'],
    });
  }

  failure(reason: AuthFailure | typeof INSUFFICIENT_SCOPE, transport: AuthTransport): void {
    this.failures.inc({ reason, transport });
  }
}
