import { Injectable } from '@nestjs/common';
import { Clock } from '../clock/clock';
import {
  type IncidentConstraint,
  constrainsDocument,
  incidentMatchesConstraint,
} from '../common/incident-constraint';
import { ACTIVE_STATES, type Incident, SEVERITIES, type Severity } from '../domain';
import {
  OpenIncidentCounts,
  ResponseStats,
  ResponseStatsGroup,
  ResponseTimeSummary,
} from './dto/response-stats.response';
import { IncidentsRepository, ResponseColumn, ResponseSample } from './incidents.repository';

/**
 * GET /v1/incidents/stats: time to acknowledge and to resolve, and the open incidents, computed from the store, so
 * that every node of a cluster answers the same and a restart loses nothing (the histograms in /metrics count what
 * this node saw since it started). Acknowledged and resolved as in response-times.ts; grouped by the incidents'
 * severity now (the histograms by the severity they had at the change).
 */
@Injectable()
export class ResponseStatsService {
  constructor(
    private readonly clock: Clock,
    private readonly incidents: IncidentsRepository,
  ) {}

  async stats(
    window: string,
    windowSeconds: number,
    constraint: IncidentConstraint | null,
  ): Promise<ResponseStats> {
    const nowMs = this.clock.now();
    const to = new Date(nowMs).toISOString();
    const from = new Date(nowMs - windowSeconds * 1000).toISOString();
    const [acknowledged, resolved, open] = await Promise.all([
      this.samples('acknowledged_at', from, to, constraint),
      this.samples('first_resolved_at', from, to, constraint),
      this.open(constraint),
    ]);
    const group = (severity: Severity | null): ResponseStatsGroup => ({
      acknowledged: summarize(acknowledged, severity),
      resolved: summarize(resolved, severity),
      open: openCounts(open, severity),
    });
    return {
      window,
      window_seconds: windowSeconds,
      from,
      to,
      by_severity: SEVERITIES.map((severity) => ({ severity, ...group(severity) })),
      all: group(null),
    };
  }

  /** The incidents that reached `column` in the window and lie inside the constraint, as (severity, seconds). */
  private async samples(
    column: ResponseColumn,
    from: string,
    to: string,
    constraint: IncidentConstraint | null,
  ): Promise<Sample[]> {
    const inMemory = constraint !== null && constrainsDocument(constraint);
    const rows = await this.incidents.responseSamples(column, from, to, constraint, inMemory);
    const kept = inMemory ? rows.filter((row) => matches(row, constraint)) : rows;
    return kept.map((row) => ({
      severity: row.severity,
      seconds: Math.max(0, (Date.parse(row.at) - Date.parse(row.created_at)) / 1000),
    }));
  }

  private async open(
    constraint: IncidentConstraint | null,
  ): Promise<{ severity: string; state: string; count: number }[]> {
    if (constraint === null || !constrainsDocument(constraint)) return this.incidents.countOpen(constraint);
    const counts = new Map<string, { severity: string; state: string; count: number }>();
    for (const incident of await this.incidents.openDocuments(constraint)) {
      if (!incidentMatchesConstraint(incident, constraint)) continue;
      const key = `${incident.severity}/${incident.state}`;
      const entry = counts.get(key) ?? { severity: incident.severity, state: incident.state, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }
}

interface Sample {
  severity: string;
  seconds: number;
}

function matches(row: ResponseSample, constraint: IncidentConstraint): boolean {
  return (
    row.document !== undefined && incidentMatchesConstraint(JSON.parse(row.document) as Incident, constraint)
  );
}

/** Count, mean, p50, p90 and max of the samples of one severity (all with null); nulls when there are none. */
export function summarize(samples: readonly Sample[], severity: string | null): ResponseTimeSummary {
  const seconds = samples
    .filter((s) => severity === null || s.severity === severity)
    .map((s) => s.seconds)
    .sort((a, b) => a - b);
  if (seconds.length === 0) {
    return { count: 0, mean_seconds: null, p50_seconds: null, p90_seconds: null, max_seconds: null };
  }
  const sum = seconds.reduce((total, s) => total + s, 0);
  return {
    count: seconds.length,
    mean_seconds: roundMs(sum / seconds.length),
    p50_seconds: roundMs(quantile(seconds, 0.5)),
    p90_seconds: roundMs(quantile(seconds, 0.9)),
    max_seconds: roundMs(seconds[seconds.length - 1]),
  };
}

/** The q-quantile of sorted values, interpolating linearly between the two closest ranks (the median of 60 and 120 is 90). */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

function openCounts(
  rows: readonly { severity: string; state: string; count: number }[],
  severity: Severity | null,
): OpenIncidentCounts {
  const counts: OpenIncidentCounts = { total: 0, Detected: 0, Triaged: 0, Investigating: 0, Remediating: 0 };
  for (const row of rows) {
    if (severity !== null && row.severity !== severity) continue;
    const state = ACTIVE_STATES.find((s) => s === row.state);
    if (state === undefined || state === 'Resolved' || state === 'Closed') continue;
    counts[state] += row.count;
    counts.total += row.count;
  }
  return counts;
}
