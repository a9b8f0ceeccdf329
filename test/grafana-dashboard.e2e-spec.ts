import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { TestApp, startTestApp } from './support/test-app';

/** The dashboard shipped in docs/ (docs/operations.md, "Grafana dashboard"). */
const DASHBOARD = join(__dirname, '..', 'docs', 'grafana', 'llm-incident-manager.json');

interface Target {
  expr?: string;
  datasource?: { uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  __inputs: { name: string; type: string; pluginId: string }[];
  panels: Panel[];
  templating: { list: { name: string; query: { query: string } | string }[] };
}

/** Every panel, rows' nested panels included. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** The application's metric names a PromQL expression refers to. */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:websocket|llm_incident_manager)_[a-z0-9_]+\b/g)].map((m) => m[0]);
}

/** Every metric family /metrics declares (`# TYPE name type`), with its type. */
function declaredFamilies(metrics: string): Map<string, string> {
  const families = new Map<string, string>();
  for (const match of metrics.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1], match[2]);
  return families;
}

/** Whether a series name exists: a family, or a histogram's `_bucket`, `_sum` or `_count`. */
function exported(name: string, families: Map<string, string>): boolean {
  if (families.has(name)) return true;
  const series = /^(.+)_(bucket|sum|count)$/.exec(name);
  return series !== null && families.get(series[1]) === 'histogram';
}

describe('the Grafana dashboard in docs/grafana', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const panels = allPanels(dashboard.panels).filter((panel) => panel.type !== 'row');
  const expressions = [
    ...panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? '')),
    ...dashboard.templating.list.map((variable) =>
      typeof variable.query === 'string' ? variable.query : variable.query.query,
    ),
  ];
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t.cleanup();
  });

  it('queries only metrics that /metrics exports', async () => {
    const families = declaredFamilies((await request(t.baseUrl).get('/metrics').expect(200)).text);
    const referenced = [...new Set(expressions.flatMap(metricNames))].sort();
    expect(referenced.length).toBeGreaterThan(20);
    expect(referenced.filter((name) => !exported(name, families))).toEqual([]);
  });

  it('is importable: one Prometheus data source input used by every panel and query', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }),
    ]);
    for (const panel of panels) {
      expect([panel.title, panel.datasource?.uid]).toEqual([panel.title, '${DS_PROMETHEUS}']);
      expect(panel.targets?.length).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) {
        expect([panel.title, target.datasource?.uid, (target.expr ?? '').length > 0]).toEqual([
          panel.title,
          '${DS_PROMETHEUS}',
          true,
        ]);
      }
    }
  });

  it('has the panels operators look for', () => {
    const all = expressions.join('\n');
    for (const metric of [
      'llm_incident_manager_alerts_received_total',
      'llm_incident_manager_incidents',
      'llm_incident_manager_time_to_acknowledge_seconds_bucket',
      'llm_incident_manager_time_to_resolve_seconds_bucket',
      'websocket_active_connections',
      'websocket_message_latency_seconds_bucket',
      'websocket_events_delivered_total',
      'llm_incident_manager_messages_shed_total',
      'llm_incident_manager_slow_consumers_closed_total',
      'llm_incident_manager_event_log_pruned_total',
      'llm_incident_manager_broker_up',
      'llm_incident_manager_notification_queue_depth',
      'llm_incident_manager_notifications_total',
      'llm_incident_manager_http_requests_total',
    ]) {
      expect(metricNames(all)).toContain(metric);
    }
  });
});
