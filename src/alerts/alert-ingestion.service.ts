import { Inject, Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { Clock } from '../clock/clock';
import { isoTimestamp } from '../clock/iso-timestamp';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Alert, Incident, SEVERITIES, isActiveState } from '../domain';
import { EventPublisher, EventRecorder } from '../events/event-publisher.service';
import { EventType } from '../events/event.types';
import {
  addTimeline,
  createIncident,
  resolveIncident,
  snapshotIncident,
} from '../incidents/incident-lifecycle';
import { IncidentStatsService } from '../incidents/incident-stats.service';
import { IncidentsService } from '../incidents/incidents.service';
import { IncidentOrigin, Metric } from '../metrics/metric-names';
import { zeroSeries } from '../metrics/zero-series';
import { SilencesService } from '../silences/silences.service';
import type { Tx } from '../storage/database.types';
import { AckStatus, AlertAck, AlertInput, AlertOrigin, WebhookOrigin } from './alert-input';
import { incidentFromAlert } from './alert-to-incident';
import { AlertOriginInfo, AlertsRepository } from './alerts.repository';
import { alertFingerprint, alertmanagerFingerprint, dedupKeyFingerprint } from './fingerprint';

/** One alert of an Alertmanager-shaped webhook (Alertmanager, Grafana), mapped (alertmanager.mapper.ts). */
export interface AlertmanagerAlertInput {
  status: 'firing' | 'resolved';
  /** Alertmanager's fingerprint of the alert (its label set); the alert's external_id. */
  fingerprint: string;
  startsAt: string;
  alert: AlertInput;
}

/** What one unit of work changed, so that gauges and counters move only after commit. */
interface Outcome {
  created: Incident[];
  changed: { before: Pick<Incident, 'severity' | 'state'>; after: Incident }[];
  acks: { ack: AlertAck; origin: AlertOrigin }[];
}

export const DEDUP_ACTOR = 'deduplication-engine';

/** A native alert's deduplication key: its `dedup_key` when it has one, else its fields. */
function nativeFingerprint(input: AlertInput): string {
  return input.dedup_key !== undefined
    ? dedupKeyFingerprint(input.dedup_key)
    : alertFingerprint(input.source, input.alert_type, input.title, input.affected_services);
}
export const ALERTMANAGER_ACTOR = 'alertmanager';

/**
 * Alert -> incident: fingerprint (the alert's fields, its dedup_key, or for Alertmanager its label set's
 * fingerprint), deduplication against the active incident of that fingerprint whose last alert arrived inside the
 * window, conversion, and for Alertmanager the resolution of an incident once every Alertmanager alert attached to
 * it has resolved.
 */
@Injectable()
export class AlertIngestionService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly publisher: EventPublisher,
    private readonly alerts: AlertsRepository,
    private readonly incidents: IncidentsService,
    private readonly stats: IncidentStatsService,
    private readonly silences: SilencesService,
    @InjectMetric(Metric.AlertsReceived) private readonly alertsReceived: Counter<string>,
    @InjectMetric(Metric.Deduplications) private readonly deduplications: Counter<string>,
    @InjectMetric(Metric.IncidentsCreated) private readonly incidentsCreated: Counter<string>,
  ) {
    zeroSeries(alertsReceived, { origin: Object.values(AlertOrigin), status: Object.values(AckStatus) });
    zeroSeries(incidentsCreated, { severity: SEVERITIES, origin: [IncidentOrigin.Alert] });
  }

  async ingest(input: AlertInput): Promise<AlertAck> {
    const outcome = await this.unitOfWork(async (tx, events, out) => {
      const ack = await this.ingestFiring(tx, events, out, input, nativeFingerprint(input), {
        origin: AlertOrigin.Native,
        status: null,
        startsAt: null,
      });
      out.acks.push({ ack, origin: AlertOrigin.Native });
    });
    return outcome.acks[0].ack;
  }

  /**
   * A batch of native alerts (POST /v1/alerts/batch) as one unit of work: one transaction, so the whole batch is
   * durable (one commit) before the answer, and stored whole or not at all; acks in the batch's order. An alert
   * deduplicates against the incidents the alerts before it in the batch opened.
   */
  async ingestBatch(inputs: AlertInput[]): Promise<AlertAck[]> {
    const outcome = await this.unitOfWork(async (tx, events, out) => {
      for (const input of inputs) {
        const ack = await this.ingestFiring(tx, events, out, input, nativeFingerprint(input), {
          origin: AlertOrigin.Native,
          status: null,
          startsAt: null,
        });
        out.acks.push({ ack, origin: AlertOrigin.Native });
      }
    });
    return outcome.acks.map((a) => a.ack);
  }

  /**
   * One webhook = one unit of work; acks in the webhook's order. `origin` is the sender (Alertmanager, or Grafana
   * Alerting's webhook contact point): each one's alerts are matched, deduplicated and resolved by its own
   * fingerprints only.
   */
  async ingestAlertmanager(
    alerts: AlertmanagerAlertInput[],
    origin: WebhookOrigin = AlertOrigin.Alertmanager,
  ): Promise<AlertAck[]> {
    const outcome = await this.unitOfWork(async (tx, events, out) => {
      for (const item of alerts) {
        const ack =
          item.status === 'firing'
            ? await this.ingestAlertmanagerFiring(tx, events, out, item, origin)
            : await this.ingestAlertmanagerResolved(tx, events, out, item, origin);
        out.acks.push({ ack, origin });
      }
    });
    return outcome.acks.map((a) => a.ack);
  }

  private async unitOfWork(
    work: (tx: Tx, events: EventRecorder, out: Outcome) => Promise<void>,
  ): Promise<Outcome> {
    const outcome = await this.publisher.run(async (tx, events) => {
      const out: Outcome = { created: [], changed: [], acks: [] };
      await work(tx, events, out);
      return out;
    });
    for (const incident of outcome.created) {
      this.stats.created(incident);
      this.incidentsCreated.inc({ severity: incident.severity, origin: IncidentOrigin.Alert });
    }
    for (const { before, after } of outcome.changed) this.stats.changed(before, after);
    for (const { ack, origin } of outcome.acks) {
      this.alertsReceived.inc({ origin, status: ack.status });
      if (ack.status === AckStatus.Duplicate && ack.alert_id !== null) this.deduplications.inc();
      if (ack.status === AckStatus.Suppressed) this.silences.recordSuppressed();
    }
    return outcome;
  }

  private async ingestFiring(
    tx: Tx,
    events: EventRecorder,
    out: Outcome,
    input: AlertInput,
    fingerprint: string,
    origin: AlertOriginInfo,
  ): Promise<AlertAck> {
    const nowMs = this.clock.now();
    const now = isoTimestamp(nowMs);
    const alert: Alert = {
      id: randomUUID(),
      external_id: input.external_id ?? randomUUID(),
      source: input.source,
      timestamp: input.timestamp ?? now,
      received_at: now,
      severity: input.severity,
      alert_type: input.alert_type,
      title: input.title,
      description: input.description,
      labels: input.labels,
      affected_services: input.affected_services,
      runbook_url: input.runbook_url,
      annotations: input.annotations,
      incident_id: null,
      deduplicated: false,
      parent_alert_id: null,
    };
    if (input.dedup_key !== undefined) alert.dedup_key = input.dedup_key;

    // An active silence (contract section 10): stored and published, attached to no incident; nothing else runs.
    const silenceId = this.silences.silencing(alert);
    if (silenceId !== null) return this.suppress(tx, events, alert, origin, silenceId);

    // The window slides: it counts from the incident's last alert, so an alert re-sent for hours keeps one incident.
    const windowStart = isoTimestamp(nowMs - this.config.dedup.windowMs);
    const existing = await this.incidents.findActiveByFingerprint(tx, fingerprint, windowStart);
    if (existing) {
      alert.incident_id = existing.id;
      alert.deduplicated = true;
      alert.parent_alert_id = await this.alerts.findOpeningAlertId(tx, existing.id);
      const before = { severity: existing.severity, state: existing.state };
      addTimeline(existing, now, 'AlertReceived', DEDUP_ACTOR, `Duplicate alert received: ${alert.title}`, {
        alert_id: alert.id,
        external_id: alert.external_id,
        source: alert.source,
      });
      await this.alerts.insert(tx, alert, origin, existing.created_at);
      await this.incidents.save(tx, existing);
      events.record({ event_type: EventType.AlertReceived, alert }, existing);
      events.record(
        { event_type: EventType.IncidentUpdated, incident: existing, previous_state: null },
        existing,
      );
      out.changed.push({ before, after: existing });
      return {
        alert_id: alert.id,
        incident_id: existing.id,
        status: AckStatus.Duplicate,
        message: `Duplicate of active incident ${existing.id}; alert attached`,
      };
    }

    const incident = createIncident(incidentFromAlert(alert, fingerprint), now);
    alert.incident_id = incident.id;
    await this.alerts.insert(tx, alert, origin, incident.created_at);
    await this.incidents.insert(tx, incident);
    events.record({ event_type: EventType.AlertReceived, alert }, incident);
    events.record({ event_type: EventType.AlertConverted, alert, incident_id: incident.id }, incident);
    events.record({ event_type: EventType.IncidentCreated, incident }, incident);
    out.created.push(incident);
    return {
      alert_id: alert.id,
      incident_id: incident.id,
      status: AckStatus.Accepted,
      message: `Alert accepted; incident ${incident.id} created`,
    };
  }

  /** An alert matching an active silence: stored with `suppressed` and the silence's id, and published. */
  private async suppress(
    tx: Tx,
    events: EventRecorder,
    alert: Alert,
    origin: AlertOriginInfo,
    silenceId: string,
  ): Promise<AlertAck> {
    alert.suppressed = true;
    alert.silence_id = silenceId;
    await this.alerts.insert(tx, alert, origin, null);
    events.record({ event_type: EventType.AlertReceived, alert }, null);
    return {
      alert_id: alert.id,
      incident_id: null,
      status: AckStatus.Suppressed,
      message: `Suppressed by silence ${silenceId}; no incident opened or updated`,
    };
  }

  /** A re-delivery of a firing episode already stored is acknowledged with the original ids and changes nothing. */
  private async ingestAlertmanagerFiring(
    tx: Tx,
    events: EventRecorder,
    out: Outcome,
    item: AlertmanagerAlertInput,
    origin: WebhookOrigin,
  ): Promise<AlertAck> {
    const known = await this.alerts.findFiringEpisode(tx, origin, item.fingerprint, item.startsAt);
    // An episode stored as suppressed is ingested again once no silence matches it any more.
    if (known && !(known.alert.suppressed === true && this.silences.silencing(item.alert) === null)) {
      return {
        alert_id: known.alert.id,
        incident_id: known.alert.incident_id,
        status: AckStatus.Duplicate,
        message: 'Already received (re-delivery of the same firing alert)',
      };
    }
    return this.ingestFiring(tx, events, out, item.alert, alertmanagerFingerprint(origin, item.fingerprint), {
      origin,
      status: 'firing',
      startsAt: item.startsAt,
    });
  }

  private async ingestAlertmanagerResolved(
    tx: Tx,
    events: EventRecorder,
    out: Outcome,
    item: AlertmanagerAlertInput,
    origin: WebhookOrigin,
  ): Promise<AlertAck> {
    const firing = await this.alerts.findAlertmanagerAlerts(tx, origin, item.fingerprint, 'firing');
    if (firing.length === 0) {
      const [previous] = await this.alerts.findAlertmanagerAlerts(tx, origin, item.fingerprint, 'resolved');
      return {
        alert_id: previous?.alert.id ?? null,
        incident_id: previous?.alert.incident_id ?? null,
        status: AckStatus.Resolved,
        message: previous
          ? 'Already resolved (re-delivery)'
          : 'No firing alert with this fingerprint; nothing to resolve',
      };
    }
    await this.alerts.markAlertmanagerResolved(
      tx,
      firing.map((f) => f.alert.id),
    );
    const messages: string[] = [];
    const incidentIds = [
      ...new Set(firing.map((f) => f.alert.incident_id).filter((id): id is string => !!id)),
    ];
    for (const incidentId of incidentIds) {
      messages.push(await this.resolveIfAllAlertsResolved(tx, events, out, incidentId));
    }
    const latest = firing[0].alert;
    return {
      alert_id: latest.id,
      incident_id: latest.incident_id,
      status: AckStatus.Resolved,
      message: messages.join('; ') || 'Alert resolved',
    };
  }

  private async resolveIfAllAlertsResolved(
    tx: Tx,
    events: EventRecorder,
    out: Outcome,
    incidentId: string,
  ): Promise<string> {
    const stillFiring = await this.alerts.countFiringForIncident(tx, incidentId);
    if (stillFiring > 0) return `Incident ${incidentId} stays open: ${stillFiring} alert(s) still firing`;
    const incident = await this.incidents.find(tx, incidentId);
    if (!incident) return `Incident ${incidentId} not found`;
    if (!isActiveState(incident.state)) return `Incident ${incidentId} already ${incident.state}`;
    const before = { severity: incident.severity, state: incident.state };
    const previous = snapshotIncident(incident);
    resolveIncident(
      incident,
      {
        resolved_by: ALERTMANAGER_ACTOR,
        method: 'Automated',
        notes: 'Every Alertmanager alert attached to the incident has resolved',
        root_cause: null,
      },
      this.clock.nowIso(),
    );
    await this.incidents.save(tx, incident);
    events.record({ event_type: EventType.IncidentResolved, incident }, incident, previous);
    out.changed.push({ before, after: incident });
    return `Incident ${incidentId} resolved`;
  }
}
