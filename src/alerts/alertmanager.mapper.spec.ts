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
