import { PagerDutyEvent, parsePagerDutyEvent } from './pagerduty-event';
import { pagerDutyAlertInput } from './pagerduty.mapper';

const event = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}): PagerDutyEvent =>
  parsePagerDutyEvent({
    routing_key: 'k',
    event_action: 'trigger',
    payload: { summary: 'disk full', source: 'db-7', severity: 'critical', ...payload },
    ...extra,
  });

const map = (e: PagerDutyEvent) => {
  if (!e.payload) throw new Error('no payload');
  return pagerDutyAlertInput(e, e.payload, 'key-1');
};

describe('pagerDutyAlertInput', () => {
  it('keeps the PD-CEF fields over custom details of the same name', () => {
    const input = map(event({ component: 'mysql', custom_details: { component: 'other', team: 'db' } }));
    expect(input.labels).toEqual({ component: 'mysql', team: 'db' });
  });

  it('keeps the first 64 labels, drops keys over 128 characters, cuts values to 1,024', () => {
    const details: Record<string, string> = { ['k'.repeat(129)]: 'dropped', long: 'v'.repeat(2000) };
    for (let i = 0; i < 70; i++) details[`d${i}`] = String(i);
    const { labels } = map(event({ custom_details: details }));
    expect(Object.keys(labels)).toHaveLength(64);
    expect(labels.long).toHaveLength(1024);
    expect(labels.long.endsWith('…')).toBe(true);
    expect(labels.d62).toBe('62');
    expect(labels.d63).toBeUndefined();
  });

  it('puts a custom_details that is not an object in one annotation', () => {
    expect(map(event({ custom_details: 'free text' })).annotations).toEqual({ custom_details: 'free text' });
    expect(map(event({ custom_details: [1, 2] })).annotations).toEqual({ custom_details: '[1,2]' });
  });

  it('uses the dedup key as the deduplication key and external id, and cuts the source to 255', () => {
    const input = map(event({ source: 's'.repeat(300) }));
    expect(input).toMatchObject({
      dedup_key: 'key-1',
      external_id: 'key-1',
      severity: 'P0',
      alert_type: 'Unknown',
    });
    expect(input.source).toHaveLength(255);
  });
});

describe('parsePagerDutyEvent', () => {
  it('ignores the payload of acknowledge and resolve (Alertmanager sends one on resolve)', () => {
    expect(
      parsePagerDutyEvent({ routing_key: 'k', event_action: 'resolve', dedup_key: 'd', payload: 'anything' }),
    ).toEqual({ routing_key: 'k', event_action: 'resolve', dedup_key: 'd', links: [], images: [] });
  });

  it('treats a blank dedup_key on a trigger as absent', () => {
    expect(event({}, { dedup_key: '' }).dedup_key).toBeUndefined();
  });

  it.each([
    ['2015-07-17T08:42:58.315+0000', '2015-07-17T08:42:58.315Z'],
    ['2026-03-01T10:00:00+02:00', '2026-03-01T08:00:00.000Z'],
  ])('normalizes the timestamp %s', (timestamp, expected) => {
    expect(event({ timestamp }).payload?.timestamp).toBe(expected);
  });

  it.each(['1', 'Jan', '2026-02-30T99:00:00Z', '10000-01-01T00:00:00Z'])(
    'refuses the timestamp %s',
    (timestamp) => {
      expect(() => event({ timestamp })).toThrow("'payload.timestamp' is invalid");
    },
  );
});
