import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { Gauge } from 'prom-client';
import type { Incident } from '../domain';
import { Metric } from '../metrics/metric-names';
import { IncidentsRepository } from './incidents.repository';

type Counted = Pick<Incident, 'severity' | 'state'>;

/**
 * Keeps the `incidents{severity,state}` gauge exact: loaded from the store at start, then moved on every committed
 * change (writers are serialized, so increments never race).
 */
@Injectable()
export class IncidentStatsService implements OnApplicationBootstrap {
  constructor(
    private readonly incidents: IncidentsRepository,
    @InjectMetric(Metric.Incidents) private readonly gauge: Gauge<string>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.gauge.reset();
    for (const row of await this.incidents.countBySeverityAndState()) {
      this.gauge.set({ severity: row.severity, state: row.state }, row.count);
    }
  }

  created(incident: Counted): void {
    this.gauge.inc({ severity: incident.severity, state: incident.state });
  }

  changed(before: Counted, after: Counted): void {
    if (before.severity === after.severity && before.state === after.state) return;
    this.gauge.dec({ severity: before.severity, state: before.state });
    this.gauge.inc({ severity: after.severity, state: after.state });
  }
}
