import type { Incident, Severity } from '../domain';
import { ChannelType } from './notification-channel';

/** Why a notification is sent. */
export const NotificationTrigger = {
  IncidentCreated: 'incident_created',
  Escalated: 'escalated',
  IncidentResolved: 'incident_resolved',
  Playbook: 'playbook',
} as const;
export type NotificationTrigger = (typeof NotificationTrigger)[keyof typeof NotificationTrigger];

export interface EscalationDetails {
  from_severity: Severity;
  to_severity: Severity;
  reason: string;
  /** Who the escalation is for, when a policy level named them (`team:sre`, `user:alice`). */
  targets?: string[];
}

/** What a notification says, before it is shaped for a channel type. */
export interface NotificationContent {
  trigger: NotificationTrigger;
  message: string;
  incident: Incident;
  escalation?: EscalationDetails;
}

export function createdMessage(incident: Incident): string {
  return `[${incident.severity}] New incident: ${incident.title} (${incident.incident_type}, source ${incident.source})`;
}

export function escalatedMessage(incident: Incident, escalation: EscalationDetails): string {
  const change =
    escalation.from_severity === escalation.to_severity
      ? `escalated at ${escalation.to_severity}`
      : `escalated from ${escalation.from_severity} to ${escalation.to_severity}`;
  const reason = escalation.reason ? `: ${escalation.reason}` : '';
  return `[${incident.severity}] Incident ${change}${reason} (${incident.title})`;
}

export function resolvedMessage(incident: Incident): string {
  const by = incident.resolution ? ` by ${incident.resolution.resolved_by}` : '';
  return `[${incident.severity}] Incident resolved${by}: ${incident.title}`;
}

const SLACK_COLORS: Record<Severity, string> = {
  P0: '#b71c1c',
  P1: '#e65100',
  P2: '#f9a825',
  P3: '#1565c0',
  P4: '#9e9e9e',
};

/**
 * The request body for a channel type: the generic webhook gets the whole incident and the escalation details; a
 * Slack incoming webhook gets `text` (what every Slack-compatible receiver shows) plus an attachment with the facts.
 */
export function buildPayload(
  type: ChannelType,
  content: NotificationContent,
  channelName: string,
  sentAt: string,
): unknown {
  const { incident } = content;
  switch (type) {
    case ChannelType.Webhook:
      return {
        trigger: content.trigger,
        channel: channelName,
        message: content.message,
        sent_at: sentAt,
        incident,
        ...(content.escalation ? { escalation: content.escalation } : {}),
      };
    case ChannelType.Slack: {
      const fields = [
        { title: 'Severity', value: incident.severity, short: true },
        { title: 'State', value: incident.state, short: true },
        { title: 'Type', value: incident.incident_type, short: true },
        { title: 'Source', value: incident.source, short: true },
      ];
      if (incident.affected_resources.length > 0) {
        fields.push({ title: 'Affected', value: incident.affected_resources.join(', '), short: false });
      }
      if (content.escalation?.targets?.length) {
        fields.push({ title: 'Escalated to', value: content.escalation.targets.join(', '), short: false });
      }
      return {
        text: content.message,
        attachments: [
          {
            color: SLACK_COLORS[incident.severity],
            title: incident.title,
            text: incident.description.slice(0, 2000),
            fields,
            footer: `incident ${incident.id}`,
            ts: Math.floor(Date.parse(sentAt) / 1000),
          },
        ],
      };
    }
  }
}
