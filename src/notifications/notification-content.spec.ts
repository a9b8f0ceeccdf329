import type { Incident } from '../domain';
import { channelWants, NotificationChannel } from './notification-channel';
import { buildPayload, escalatedMessage, NotificationContent, resolvedMessage } from './notification-content';

const incident = {
  id: '3f8a4a52-61c8-4a51-9c55-4c0e0e0b7a10',
  severity: 'P1',
  state: 'Detected',
  incident_type: 'Performance',
  source: 'prometheus',
  title: 'Checkout latency',
  description: 'p99 above 2s',
  affected_resources: ['checkout-api'],
  resolution: null,
} as unknown as Incident;

const content: NotificationContent = {
  trigger: 'escalated',
  message: 'escalated',
  incident,
  escalation: { from_severity: 'P2', to_severity: 'P1', reason: 'slow', targets: ['team:sre'] },
};

describe('buildPayload', () => {
  it('gives a generic webhook the whole incident and the escalation', () => {
    expect(buildPayload('webhook', content, 'ops', '2026-11-25T10:00:00.000Z')).toEqual({
      trigger: 'escalated',
      channel: 'ops',
      message: 'escalated',
      sent_at: '2026-11-25T10:00:00.000Z',
      incident,
      escalation: content.escalation,
    });
  });

  it('gives Slack text plus an attachment with severity, state, resources and targets', () => {
    const payload = buildPayload('slack', content, 'slack', '2026-11-25T10:00:00.000Z') as {
      text: string;
      attachments: { color: string; fields: { title: string; value: string }[]; ts: number }[];
    };
    expect(payload.text).toBe('escalated');
    const [attachment] = payload.attachments;
    expect(attachment.color).toBe('#e65100');
    expect(attachment.ts).toBe(Date.parse('2026-11-25T10:00:00.000Z') / 1000);
    expect(attachment.fields).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ title: 'Severity', value: 'P1' }),
        expect.objectContaining({ title: 'Affected', value: 'checkout-api' }),
        expect.objectContaining({ title: 'Escalated to', value: 'team:sre' }),
      ]),
    );
  });
});

describe('messages', () => {
  it('says "escalated at" when a level did not change the severity', () => {
    expect(escalatedMessage(incident, { from_severity: 'P1', to_severity: 'P1', reason: 'level 2' })).toBe(
      '[P1] Incident escalated at P1: level 2 (Checkout latency)',
    );
  });

  it('names who resolved', () => {
    const resolved = { ...incident, resolution: { resolved_by: 'alice' } } as unknown as Incident;
    expect(resolvedMessage(resolved)).toBe('[P1] Incident resolved by alice: Checkout latency');
  });
});

describe('channelWants', () => {
  const channel = {
    enabled: true,
    events: ['incident_created'],
    severities: ['P0', 'P1'],
  } as unknown as NotificationChannel;

  it('wants its events for its severities only, and nothing when disabled', () => {
    expect(channelWants(channel, 'incident_created', 'P1')).toBe(true);
    expect(channelWants(channel, 'incident_created', 'P2')).toBe(false);
    expect(channelWants(channel, 'incident_resolved', 'P1')).toBe(false);
    expect(channelWants({ ...channel, enabled: false }, 'incident_created', 'P1')).toBe(false);
    expect(channelWants({ ...channel, severities: [] }, 'incident_created', 'P4')).toBe(true);
  });
});
