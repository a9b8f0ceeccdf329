import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Gauge, Histogram } from 'prom-client';
import { type Incident, SEVERITIES } from '../domain';
import { Metric } from '../metrics/metric-names';
import { zeroHistogramSeries } from '../metrics/zero-series';
import { IncidentsRepository } from './incidents.repository';
import { observationsOf } from './response-times';

type Counted = Pick<Incident, 'severity' | 'state'>;

/**
 * Keeps the `incidents{severity,state}` gauge exact: loaded from the store at start, then moved on every committed
 * change (writers are serialized, so increments never race). Observes the time to acknowledge and to resolve
 * (response-times.ts) once per incident and per cluster: writers call `changed` after their commit, on the node that
 * committed, never for a change heard from another node.
 */
@Injectable()
export class IncidentStatsService implements OnApplicationBootstrap {
  constructor(
    private readonly incidents: IncidentsRepository,
    @InjectMetric(Metric.Incidents) private readonly gauge: Gauge<string>,
    @InjectMetric(Metric.TimeToAcknowledge) private readonly timeToAcknowledge: Histogram<string>,
    @InjectMetric(Metric.TimeToResolve) private readonly timeToResolve: Histogram<string>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await zeroHistogramSeries(this.timeToAcknowledge, { severity: SEVERITIES });
    await zeroHistogramSeries(this.timeToResolve, { severity: SEVERITIES });
    this.gauge.reset();
    for (const row of await this.incidents.countBySeverityAndState()) {
      this.gauge.set({ severity: row.severity, state: row.state }, row.count);
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
