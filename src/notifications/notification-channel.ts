import type { Severity } from '../domain';
import { EventType } from '../events/event.types';
import type { Definition } from '../storage/definition.store';
import { maskHeaders, maskUrl } from './outgoing/secrets';

export const ChannelType = { Webhook: 'webhook', Slack: 'slack' } as const;
export type ChannelType = (typeof ChannelType)[keyof typeof ChannelType];
export const CHANNEL_TYPES: readonly ChannelType[] = Object.values(ChannelType);

/** The incident events a channel can be notified of. */
export const NOTIFY_EVENTS = [
  EventType.IncidentCreated,
  EventType.Escalated,
  EventType.IncidentResolved,
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/**
 * A notification channel: where (a generic JSON webhook or a Slack-compatible incoming webhook), on which incident
 * events and for which severities (empty = every severity). `headers` and the URL's user info carry credentials;
 * they are never returned.
 */
export interface NotificationChannel extends Definition {
  type: ChannelType;
  url: string;
  enabled: boolean;
  events: NotifyEvent[];
  severities: Severity[];
  headers: Record<string, string>;
}

/** The channel as the API returns it: header values and URL credentials are masked. */
export type NotificationChannelView = Omit<NotificationChannel, 'headers'> & {
  headers: Record<string, string>;
};

export function toChannelView(channel: NotificationChannel): NotificationChannelView {
  return { ...channel, url: maskUrl(channel.url), headers: maskHeaders(channel.headers) };
}

export function channelWants(channel: NotificationChannel, event: NotifyEvent, severity: Severity): boolean {
  return (
    channel.enabled &&
    channel.events.includes(event) &&
    (channel.severities.length === 0 || channel.severities.includes(severity))
  );
}
