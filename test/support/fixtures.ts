import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Alert, Incident } from '../../src/domain';

let counter = 0;

/** A valid POST /v1/alerts body; each call gets a unique title unless one is given. */
export function alertBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    source: 'prometheus',
    title: `High error rate #${counter}`,
    description: 'Error rate above 5% for 5 minutes',
    severity: 'P1',
    alert_type: 'Application',
    labels: { env: 'prod', team: 'payments' },
    affected_services: ['checkout-api'],
    ...overrides,
  };
}

/** A valid POST /v1/incidents body. */
export function incidentBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    source: 'manual',
    title: `Database latency #${counter}`,
    description: 'p99 latency above 2s',
    severity: 'P2',
    incident_type: 'Performance',
    affected_resources: ['orders-db'],
    labels: { env: 'prod' },
    ...overrides,
  };
}

/**
 * The incident factory of the e2e tests: creates one through `POST /v1/incidents` (201 expected) from
 * `incidentBody(overrides)` and returns it as the API answered.
 */
export async function createIncident(
  baseUrl: string,
  overrides: Record<string, unknown> = {},
): Promise<Incident> {
  return (await request(baseUrl).post('/v1/incidents').send(incidentBody(overrides)).expect(201))
    .body as Incident;
}

/** An incident that exists only in memory, for tests that publish events straight through EventPublisher. */
export function makeIncident(overrides: Partial<Incident> = {}): Incident {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    created_at: now,
    updated_at: now,
    state: 'Detected',
    severity: 'P2',
    incident_type: 'Application',
    source: 'prometheus',
    title: 'incident',
    description: '',
    affected_resources: [],
    labels: {},
    related_incidents: [],
    active_playbook: null,
    resolution: null,
    timeline: [],
    assignees: [],
    notes: [],
    fingerprint: null,
    correlation_score: null,
    ...overrides,
  };
}

/** An alert that exists only in memory, likewise. */
export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    external_id: randomUUID(),
    source: 'prometheus',
    timestamp: now,
    received_at: now,
    severity: 'P2',
    alert_type: 'Application',
    title: 'alert',
    description: '',
    labels: {},
    affected_services: [],
    runbook_url: null,
    annotations: {},
    incident_id: null,
    deduplicated: false,
    parent_alert_id: null,
    ...overrides,
  };
}

/** One alert of an Alertmanager version 4 webhook. */
export function amAlert(
  status: 'firing' | 'resolved',
  labels: Record<string, string>,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    status,
    labels,
    annotations: { summary: `${labels.alertname ?? 'Alert'} summary`, description: 'from alertmanager' },
    startsAt: '2026-11-25T10:00:00Z',
    endsAt: status === 'resolved' ? '2026-11-25T10:30:00Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: `fp-${labels.alertname ?? 'x'}-${labels.instance ?? '0'}`,
    ...overrides,
  };
}

export function amWebhook(alerts: Record<string, unknown>[], status = 'firing'): Record<string, unknown> {
  return {
    version: '4',
    groupKey: '{}:{alertname="HighLatency"}',
    truncatedAlerts: 0,
    status,
    receiver: 'llm-incident-manager',
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}
