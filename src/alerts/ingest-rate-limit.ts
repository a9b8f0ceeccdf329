import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { CredentialKind, Principal } from '../auth/principal';
import { Clock } from '../clock/clock';
import { ApiException, ErrorCode } from '../common/api-error';
import { TokenBuckets } from '../common/token-bucket';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Metric } from '../metrics/metric-names';
import { zeroSeries } from '../metrics/zero-series';

/** Why an ingestion request was refused (the `reason` label of the ingest-rate-limited metric). */
export const IngestRefusal = {
  /** The credential has used up its alerts for now. */
  Rate: 'rate',
  /** One request carries more alerts than the burst: it could never be admitted, so it is refused whole. */
  BatchOverBurst: 'batch_over_burst',
} as const;
export type IngestRefusal = (typeof IngestRefusal)[keyof typeof IngestRefusal];

/** 429 RATE_LIMIT_EXCEEDED; the guard turns `retryAfterSeconds` into the `Retry-After` header. */
export class IngestRateLimitError extends ApiException {
  constructor(
    readonly reason: IngestRefusal,
    readonly retryAfterSeconds: number,
    message: string,
  ) {
    super(ErrorCode.RateLimitExceeded, message, 429);
  }
}

/**
 * INGEST_RATE_LIMIT_PER_KEY (contract section 6): alerts per second per credential (kind + id), bursts of twice
 * that, counted in alerts so that one webhook with 30 alerts costs 30. A request is admitted whole or not at all:
 * a webhook is one Alertmanager group, and half of it would be a misleading picture.
 *
 * Not applied with AUTH_MODE=none: there is no credential to charge, the network is trusted, and the per-address
 * request limit (HTTP_RATE_LIMIT_PER_SECOND) still applies; charging the address in alerts would cap a single
 * trusted Alertmanager (or the bench's one generator) standing for many sources.
 */
@Injectable()
export class IngestRateLimiter {
  /** null: the limit is off (0, or AUTH_MODE=none). */
  private readonly buckets: TokenBuckets | null;
  private readonly rate: number;
  private readonly burst: number;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    clock: Clock,
    @InjectMetric(Metric.IngestRateLimited) private readonly refusals: Counter<'reason'>,
  ) {
    this.rate = config.http.ingestRateLimitPerKey;
    this.burst = this.rate * 2;
    this.buckets =
      this.rate > 0 && config.auth.mode !== 'none'
        ? new TokenBuckets(this.rate, this.burst, () => clock.now())
        : null;
    zeroSeries(refusals, { reason: Object.values(IngestRefusal) });
  }

  /** Charges `alerts` to the principal's credential; throws IngestRateLimitError when it is over its limit. */
  admit(principal: Principal | undefined, alerts: number): void {
    if (this.buckets === null || principal === undefined || principal.kind === CredentialKind.Open) return;
    if (alerts > this.burst) {
      this.refuse(
        IngestRefusal.BatchOverBurst,
        // The time a drained bucket takes to fill: the soonest the largest admissible batch goes through.
        this.burst / this.rate,
        `This request carries ${alerts} alerts, more than the ${this.burst} one credential may send at once; ` +
          'send them in smaller batches',
      );
    }
    const wait = this.buckets.take(`${principal.kind}:${principal.id ?? ''}`, alerts);
    if (wait > 0) {
      this.refuse(
        IngestRefusal.Rate,
        wait,
        `Too many alerts for this credential (${this.rate} per second, bursts of ${this.burst}); retry later`,
      );
    }
  }

  private refuse(reason: IngestRefusal, waitSeconds: number, message: string): never {
    this.refusals.inc({ reason });
    throw new IngestRateLimitError(reason, Math.max(1, Math.ceil(waitSeconds)), message);
  }
}
