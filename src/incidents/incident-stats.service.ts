import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Gauge, Histogram } from 'prom-client';
import { Clock, Timer } from '../clock/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { type Incident, SEVERITIES } from '../domain';
import { Metric } from '../metrics/metric-names';
import { zeroHistogramSeries } from '../metrics/zero-series';
import { IncidentsRepository } from './incidents.repository';
import { observationsOf } from './response-times';

type Counted = Pick<Incident, 'severity' | 'state'>;

/** How often a node of a cluster recounts the incidents gauge from the store (see IncidentStatsService). */
export const CLUSTER_RECOUNT_INTERVAL_MS = 15_000;

/**
 * Keeps the `incidents{severity,state}` gauge exact: loaded from the store at start, then moved on every committed
 * change (writers are serialized, so increments never race). Observes the time to acknowledge and to resolve
 * (response-times.ts) once per incident and per cluster: writers call `changed` after their commit, on the node that
 * committed, never for a change heard from another node.
 *
 * With several nodes (REDIS_URL) the others' changes do not go through here: each node then also recounts the
 * gauge from the shared store every CLUSTER_RECOUNT_INTERVAL_MS, so that it is exact within that delay on every node.
 */
@Injectable()
export class IncidentStatsService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(IncidentStatsService.name);
  private recounting: Timer | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly incidents: IncidentsRepository,
    @InjectMetric(Metric.Incidents) private readonly gauge: Gauge<string>,
    @InjectMetric(Metric.TimeToAcknowledge) private readonly timeToAcknowledge: Histogram<string>,
    @InjectMetric(Metric.TimeToResolve) private readonly timeToResolve: Histogram<string>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await zeroHistogramSeries(this.timeToAcknowledge, { severity: SEVERITIES });
    await zeroHistogramSeries(this.timeToResolve, { severity: SEVERITIES });
    await this.recount();
    if (this.config.bus.redisUrl !== null) {
      this.recounting = this.clock.setInterval(() => void this.recountQuietly(), CLUSTER_RECOUNT_INTERVAL_MS);
    }
  }

  onApplicationShutdown(): void {
    this.recounting?.cancel();
  }

  /** Sets the gauge to the stored counts (a pair that no incident has any more goes back to 0). */
  async recount(): Promise<void> {
    const rows = await this.incidents.countBySeverityAndState();
    this.gauge.reset();
    for (const row of rows) this.gauge.set({ severity: row.severity, state: row.state }, row.count);
  }

  /** A failed recount (the database briefly away) leaves the gauge as it was until the next one. */
  private async recountQuietly(): Promise<void> {
    try {
      await this.recount();
    } catch (error) {
      // The next round tries again; the database's own health is reported by /health.
      this.logger.warn(`recounting the incidents gauge failed: ${String(error)}`);
    }
  }

  created(incident: Counted): void {
    this.gauge.inc({ severity: incident.severity, state: incident.state });
  }

  /** A committed change. The histograms are labelled with the severity the incident had after it. */
  changed(before: Counted, after: Counted & Pick<Incident, 'created_at' | 'timeline'>): void {
    if (before.severity === after.severity && before.state === after.state) return;
    this.gauge.dec({ severity: before.severity, state: before.state });
    this.gauge.inc({ severity: after.severity, state: after.state });
    const { acknowledgedAfter, resolvedAfter } = observationsOf(before, after);
    const labels = { severity: after.severity };
    if (acknowledgedAfter !== null) this.timeToAcknowledge.observe(labels, acknowledgedAfter);
    if (resolvedAfter !== null) this.timeToResolve.observe(labels, resolvedAfter);
  }
}
