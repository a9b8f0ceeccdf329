import { alertFingerprint, alertmanagerFingerprint, dedupKeyFingerprint } from './fingerprint';

describe('incident fingerprints', () => {
  it('are lowercase hex SHA-256', () => {
    for (const fingerprint of [
      alertFingerprint('prom', 'Performance', 'CPU high', ['api']),
      dedupKeyFingerprint('k'),
      alertmanagerFingerprint('alertmanager', 'c6eadffa33fcdf37'),
    ]) {
      expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('tell apart services that concatenate to the same text', () => {
    expect(alertFingerprint('s', 'Data', 't', ['db-a', 'db-b'])).not.toBe(
      alertFingerprint('s', 'Data', 't', ['db-adb-b']),
    );
  });

  it('tell apart a title ending in a service name from that title and service', () => {
    expect(alertFingerprint('s', 'Data', 'CPU hot', ['node-1'])).not.toBe(
      alertFingerprint('s', 'Data', 'CPU hotnode-1', []),
    );
    expect(alertFingerprint('ab', 'Data', 'c', [])).not.toBe(alertFingerprint('a', 'Data', 'bc', []));
  });

  it('do not depend on the order of services', () => {
    expect(alertFingerprint('s', 'Data', 't', ['b', 'a', 'c'])).toBe(
      alertFingerprint('s', 'Data', 't', ['a', 'c', 'b']),
    );
  });

  it('depend on every field', () => {
    const base = alertFingerprint('s', 'Data', 't', ['a']);
    expect(alertFingerprint('s2', 'Data', 't', ['a'])).not.toBe(base);
    expect(alertFingerprint('s', 'Security', 't', ['a'])).not.toBe(base);
    expect(alertFingerprint('s', 'Data', 't2', ['a'])).not.toBe(base);
    expect(alertFingerprint('s', 'Data', 't', ['a', 'a'])).not.toBe(base);
  });

  it('never equal each other across kinds, whatever the key', () => {
    expect(dedupKeyFingerprint('fp')).not.toBe(alertmanagerFingerprint('alertmanager', 'fp'));
    expect(alertmanagerFingerprint('grafana', 'fp')).not.toBe(alertmanagerFingerprint('alertmanager', 'fp'));
    expect(dedupKeyFingerprint('')).not.toBe(alertFingerprint('', 'Data', '', []));
  });
});
