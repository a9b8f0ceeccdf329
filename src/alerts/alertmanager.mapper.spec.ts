import { mapAlertmanagerAlert, severityFromAlertmanager } from './alertmanager.mapper';

describe('severityFromAlertmanager', () => {
  it.each([
    ['critical', 'P0'],
    ['error', 'P1'],
    ['high', 'P1'],
    ['warning', 'P2'],
    ['medium', 'P2'],
    ['info', 'P3'],
    ['low', 'P3'],
    ['none', 'P4'],
    ['P0', 'P0'],
    ['p1', 'P1'],
    ['P4', 'P4'],
    ['CRITICAL', 'P0'],
    ['disaster', 'P2'],
    [undefined, 'P2'],
  ])('maps %s to %s', (label, expected) => {
    expect(severityFromAlertmanager(label)).toBe(expected);
  });
});

describe('mapAlertmanagerAlert', () => {
  it('prefers annotations.summary over alertname and computes a fingerprint when none is sent', () => {
    const a = mapAlertmanagerAlert({
      status: 'firing',
      labels: { alertname: 'X', b: '1' },
      annotations: { summary: 'S' },
    });
    const b = mapAlertmanagerAlert({ status: 'firing', labels: { b: '1', alertname: 'X' } });
    expect(a.alert.title).toBe('S');
    expect(b.alert.title).toBe('X');
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.alert.external_id).toBe(a.fingerprint);
  });
});

describe('mapAlertmanagerAlert timestamps', () => {
  it('converts a startsAt with an offset to UTC for the alert, and keeps the episode key as sent', () => {
    const mapped = mapAlertmanagerAlert(
      { status: 'firing', labels: { alertname: 'X' }, startsAt: '2021-10-12T09:51:03.157076+02:00' },
      'grafana',
    );
    expect(mapped.alert.timestamp).toBe('2021-10-12T07:51:03.157Z');
    expect(mapped.startsAt).toBe('2021-10-12T09:51:03.157076+02:00');
    expect(mapped.alert.source).toBe('grafana');
  });

  it('keeps a UTC startsAt as sent, and one Date cannot read', () => {
    const at = (startsAt: string) =>
      mapAlertmanagerAlert({ status: 'firing', labels: {}, startsAt }).alert.timestamp;
    expect(at('2026-11-25T10:00:00Z')).toBe('2026-11-25T10:00:00Z');
    expect(at('2026-W01-1')).toBe('2026-W01-1');
  });
});
